import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import type { ObjectAbandoned } from '../../lib/index.js'
import { createS3Sink } from '../../lib/sinks/create-s3-sink.js'
import { run } from '../helpers/streams.js'

/** Waits for a state reached asynchronously (polls; 5 s at most). */
async function until (condition: () => boolean): Promise<void> {
  for (let i = 0; i < 5000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 1))
  expect(condition()).to.equal(true)
}

// The per-Run sink's own client sends its PutObjects without an abort signal (so the SDK can reuse
// its middleware stack); destroy must still cancel them, by closing that client's connections.
describe('createS3Sink() per Run, its own client: destroy() cancels the requests in flight', function () {
  this.timeout(20_000)
  let server: Server
  let endpoint: string
  let requests = 0
  let closed = 0
  let closedAt = 0

  before(async () => {
    // A store that takes every body and never answers: only the client can end these requests.
    server = createServer((req) => {
      requests++
      req.resume()
      req.socket.once('close', () => { closed++; closedAt = Date.now() })
    })
    server.listen(0, '127.0.0.1')
    await once(server, 'listening')
    endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })
  after(async () => {
    server.closeAllConnections()
    server.close()
    await once(server, 'close')
  })

  it('closes their connections at once (not after the abort timeout), reports them abandoned as unknown, and the error once', async () => {
    const sink = createS3Sink({
      type: 's3', bucket: 'runs', endpoint, forcePathStyle: true, region: 'us-east-1', accessKeyId: 'AK', secretAccessKey: 'SK', concurrency: 2
    })
    const errors: Error[] = []
    sink.on('error', (err: Error) => errors.push(err))
    const abandoned: ObjectAbandoned[] = []
    sink.on('abandoned', (a: ObjectAbandoned) => abandoned.push(a))
    sink.write(run(1))
    sink.write(run(2))
    await until(() => requests === 2)
    const stop = new Error('stop')
    const destroyedAt = Date.now()
    const sinkClosed = new Promise((resolve) => sink.on('close', resolve))
    sink.destroy(stop)
    await sinkClosed
    await until(() => closed === 2)
    // Without cancelling, the abort would wait its 1 s timeout and the sockets close only with the client after it.
    expect(closedAt - destroyedAt).to.be.below(800)
    expect(errors).to.deep.equal([stop])
    expect(abandoned.map((a) => a.outcome)).to.deep.equal(['unknown', 'unknown'])
    expect(requests).to.equal(2)
  })
})
