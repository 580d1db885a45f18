import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { filterApis, gzip, minuteWindow, s3Writable, type S3SinkConfig } from '../lib/index.js'
import { startS3rver, type LocalS3 } from './helpers/s3rver.js'
import { run, source } from './helpers/streams.js'

// The design card's own line, with a real Intuned config: the whole config
// goes to filterApis() (which filters) and to s3Writable() (which sees batches).
describe('pipeline(source, filterApis(cfg), minuteWindow(), gzip(), s3Writable(cfg))', function () {
  this.timeout(30_000)
  let s3: LocalS3

  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket('card')
  })
  after(async () => { await s3.close() })

  const records = Array.from({ length: 600 }, (_, i) => run(i, `api${i % 3}`, i % 4 === 0))
  const kept = records.filter((r, i) => (r.apiInfo as { name: string }).name !== 'api2' && i % 4 !== 0)

  it('delivers what the config selects, with a config typed as S3SinkConfig', async () => {
    const cfg: S3SinkConfig = { type: 's3', bucket: 'card', prefix: 'typed/', skipOnFail: true, apisToSend: ['api0', 'api1'], ...s3.config }
    await pipeline(source(records), filterApis(cfg), minuteWindow(), gzip(), s3Writable(cfg))
    expect(await s3.readRecords('card', 'typed/')).to.deep.equal(kept)
  })

  it('delivers the same with a config read from JSON text', async () => {
    const text = JSON.stringify({ type: 's3', bucketName: 'card', prefix: 'json/', skipOnFail: true, apisToSend: ['api0', 'api1'], ...s3.config })
    const cfg = JSON.parse(text) as S3SinkConfig
    await pipeline(source(records), filterApis(cfg), minuteWindow(), gzip(), s3Writable(cfg))
    expect(await s3.readRecords('card', 'json/')).to.deep.equal(kept)
  })
})
