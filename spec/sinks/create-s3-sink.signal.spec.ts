import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { expect } from 'chai'
import { S3Client } from '@aws-sdk/client-s3'
import type { ObjectAbandoned } from '../../lib/index.js'
import { createS3Sink } from '../../lib/sinks/create-s3-sink.js'
import { run } from '../helpers/streams.js'

/** Waits for a state reached asynchronously (polls; 5 s at most). */
async function until (condition: () => boolean): Promise<void> {
  for (let i = 0; i < 5000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 1))
  expect(condition()).to.equal(true)
}

// A caller's client cannot be closed by the sink: its PutObjects carry one abort signal, shared by all
// of them, which destroy aborts. The SDK listens to it once or twice per request in flight.
describe('createS3Sink() per Run, a caller\'s client: one abort signal for every request', function () {
  this.timeout(20_000)
  let server: Server
  let endpoint: string
  let requests = 0
  let closed = 0

  before(async () => {
    // A store that takes every body and never answers: only the client can end these requests.
    server = createServer((req) => {
      requests++
      req.resume()
      req.socket.once('close', () => { closed++ })
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

  it('keeps 12 requests on it without a listener-leak warning, and destroy() cancels them all at once', async () => {
    const client = new S3Client({ endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' }, maxAttempts: 1 })
    const warnings: Error[] = []
    const onWarning = (warning: Error): void => { warnings.push(warning) }
    process.on('warning', onWarning)
    try {
      const sink = createS3Sink({ type: 's3', bucket: 'runs', client, concurrency: 12 })
      const errors: Error[] = []
      sink.on('error', (err: Error) => errors.push(err))
      const abandoned: ObjectAbandoned[] = []
      sink.on('abandoned', (a: ObjectAbandoned) => abandoned.push(a))
      for (let i = 0; i < 12; i++) sink.write(run(i))
      await until(() => requests === 12)
      const stop = new Error('stop')
      const destroyedAt = Date.now()
      const sinkClosed = new Promise((resolve) => sink.on('close', resolve))
      sink.destroy(stop)
      await sinkClosed
      // The requests ended with the signal, not after the 1 s abort timeout.
      expect(Date.now() - destroyedAt).to.be.below(800)
      await until(() => closed === 12)
      expect(errors).to.deep.equal([stop])
      expect(abandoned.map((a) => a.outcome)).to.deep.equal(Array(12).fill('unknown'))
      await new Promise((resolve) => setImmediate(resolve))
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).to.deep.equal([])
    } finally {
      process.off('warning', onWarning)
      client.destroy()
    }
  })
})
