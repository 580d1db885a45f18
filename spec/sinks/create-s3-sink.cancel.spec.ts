import { expect } from 'chai'
import type { ObjectAbandoned } from '../../lib/index.js'
import { createS3Sink } from '../../lib/sinks/create-s3-sink.js'
import { startSilentStore, type SilentStore } from '../helpers/silent-store.js'
import { run } from '../helpers/streams.js'
import { until } from '../helpers/until.js'
import { destroyWithTimeoutsFrozen } from '../helpers/destroy-frozen.js'

/** A per-Run sink on its own client, 2 in flight, into `store`, with its errors and abandoned objects collected. */
function watchedSink (store: SilentStore): { sink: ReturnType<typeof createS3Sink>, errors: Error[], abandoned: ObjectAbandoned[] } {
  const sink = createS3Sink({
    type: 's3', bucket: 'runs', endpoint: store.endpoint, forcePathStyle: true, region: 'us-east-1', accessKeyId: 'AK', secretAccessKey: 'SK', concurrency: 2
  })
  const errors: Error[] = []
  sink.on('error', (err: Error) => errors.push(err))
  const abandoned: ObjectAbandoned[] = []
  sink.on('abandoned', (a: ObjectAbandoned) => abandoned.push(a))
  return { sink, errors, abandoned }
}

// The per-Run sink's own client sends its PutObjects without an abort signal (so the SDK can reuse
// its middleware stack); destroy must still cancel them, by closing that client's connections.
describe('createS3Sink() per Run, its own client: destroy() cancels the requests in flight', function () {
  this.timeout(20_000)
  let store: SilentStore

  before(async () => { store = await startSilentStore() })
  after(async () => { await store.close() })

  it('closes their connections at once (not after the abort timeout), reports them abandoned as unknown, and the error once', async () => {
    const { sink, errors, abandoned } = watchedSink(store)
    sink.write(run(1))
    sink.write(run(2))
    await until(() => store.requests === 2, 'both PutObjects reached the store')
    const stop = await destroyWithTimeoutsFrozen(sink, store, 2)
    expect(errors).to.deep.equal([stop])
    expect(abandoned.map((a) => a.outcome)).to.deep.equal(['unknown', 'unknown'])
    expect(store.requests).to.equal(2)
  })

  it('a bare destroy() emits no error: the requests it cut short are its own doing (an error event nobody listens to would end the process)', async () => {
    const { sink, errors, abandoned } = watchedSink(store)
    const before = store.requests
    sink.write(run(1))
    sink.write(run(2))
    await until(() => store.requests === before + 2, 'both PutObjects reached the store')
    let closed = false
    sink.on('close', () => { closed = true })
    sink.destroy()
    await until(() => closed, 'the sink closed')
    expect(errors).to.deep.equal([])
    expect(abandoned.map((a) => a.outcome)).to.deep.equal(['unknown', 'unknown'])
  })
})
