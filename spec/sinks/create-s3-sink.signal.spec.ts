import { expect } from 'chai'
import { S3Client } from '@aws-sdk/client-s3'
import type { ObjectAbandoned } from '../../lib/index.js'
import { createS3Sink } from '../../lib/sinks/create-s3-sink.js'
import { startSilentStore, type SilentStore } from '../helpers/silent-store.js'
import { run } from '../helpers/streams.js'
import { until } from '../helpers/until.js'
import { destroyWithTimeoutsFrozen } from '../helpers/destroy-frozen.js'

// A caller's client cannot be closed by the sink: its PutObjects carry one abort signal, shared by all
// of them, which destroy aborts. The SDK listens to it once or twice per request in flight.
describe('createS3Sink() per Run, a caller\'s client: one abort signal for every request', function () {
  this.timeout(20_000)
  let store: SilentStore

  before(async () => { store = await startSilentStore() })
  after(async () => { await store.close() })

  it('keeps 12 requests on it without a listener-leak warning, and destroy() cancels them all at once', async () => {
    const client = new S3Client({ endpoint: store.endpoint, forcePathStyle: true, region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' }, maxAttempts: 1 })
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
      await until(() => store.requests === 12, 'all 12 PutObjects reached the store')
      const stop = await destroyWithTimeoutsFrozen(sink, store, 12)
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
