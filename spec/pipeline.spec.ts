import { createHash, randomBytes } from 'node:crypto'
import { PassThrough, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { gunzipSync } from 'node:zlib'
import { S3Client } from '@aws-sdk/client-s3'
import { filterApis, gzip, keyRotate, minuteWindow, s3Writable, serialize, type Batch, type ObjectWritten } from '../lib/index.js'
import { startS3rver, sha256, type LocalS3 } from './helpers/s3rver.js'
import { run, source } from './helpers/streams.js'
import { manualClock } from './helpers/manual-clock.js'

const KEY = /^(?:([\w/-]+)\/)?(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/\2-\3-\4-\5-\d{2}-\d{2}-[0-9a-f]{64}\.gz$/

/** Runs over several APIs, one in five failed. */
const feed = (n: number): Array<Record<string, unknown>> => Array.from({ length: n }, (_, i) => run(i, `api${i % 3}`, i % 5 === 0))

/** A stage of our own between gzip() and s3Writable(): hashes every batch body on its way. */
function hashTap (digests: string[]): Transform {
  return new Transform({
    objectMode: true,
    transform (batch: Batch, _encoding, cb) {
      const hash = createHash('sha256')
      const tap = new PassThrough()
      tap.on('data', (chunk: Buffer) => hash.update(chunk)).on('end', () => digests.push(hash.digest('hex'))).pause()
      batch.body.pipe(tap)
      cb(null, { ...batch, body: tap })
    }
  })
}

describe('pipelines against a real S3-compatible server (s3rver)', function () {
  this.timeout(60_000)
  let s3: LocalS3

  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket('sink-bucket')
  })
  after(async () => { await s3.close() })

  it('pipeline(source, filterApis(), minuteWindow(), gzip(), s3Writable(cfg)) delivers every record', async () => {
    const records = feed(3000)
    const cfg = { type: 's3' as const, bucket: 'sink-bucket', prefix: 'canonical', ...s3.config }
    await pipeline(source(records), filterApis(), minuteWindow(), gzip(), s3Writable(cfg))
    const keys = await s3.listKeys('sink-bucket', 'canonical/')
    expect(keys.length).to.be.greaterThan(0)
    for (const key of keys) expect(key).to.match(KEY)
    expect(await s3.readRecords('sink-bucket', 'canonical/')).to.deep.equal(records)
    const head = await s3.getObject('sink-bucket', keys[0]!)
    expect(head).to.include({ contentType: 'application/x-ndjson', contentEncoding: 'gzip' })
  })

  it('the second canonical pipeline filters, serializes and names as configured', async () => {
    const records = feed(3000)
    const cfg = { bucketName: 'sink-bucket', ...s3.config }
    const written: ObjectWritten[] = []
    const sink = s3Writable(cfg).on('object', (o: ObjectWritten) => written.push(o))
    await pipeline(source(records), filterApis({ apisToSend: ['api1'], skipOnFail: true }), serialize(), minuteWindow({ maxRecords: 300 }), gzip(), keyRotate({ prefix: 'runs/' }), sink)
    const expected = records.filter((r) => (r.apiInfo as { name: string }).name === 'api1' && (r.apiInfo as { result: { status: string } }).result.status !== 'failed')
    const keys = await s3.listKeys('sink-bucket', 'runs/')
    expect(keys).to.have.length(Math.ceil(expected.length / 300))
    for (const key of keys) expect(key).to.match(KEY).and.match(/^runs\/\d{4}\//)
    expect(written).to.have.length(keys.length)
    const got: unknown[] = []
    for (const { key } of [...written].sort((a, b) => a.seq - b.seq)) {
      const { body } = await s3.getObject('sink-bucket', key)
      got.push(...gunzipSync(body).toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown))
    }
    expect(got).to.deep.equal(expected)
  })

  it('a batch above 5 MiB compressed goes through multipart and reads back byte-identical', async () => {
    const commands: string[] = []
    const client = new S3Client({ ...s3.config, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } })
    client.middlewareStack.add((next, context) => async (args) => {
      commands.push(context.commandName ?? '?')
      return next(args)
    }, { step: 'initialize' })
    // Random text barely compresses: 8,000 records of ~1 KiB give ~6 MiB of gzip.
    const records = Array.from({ length: 8000 }, (_, i) => ({ i, noise: randomBytes(768).toString('base64') }))
    const digests: string[] = []
    const written: ObjectWritten[] = []
    const sink = s3Writable({ bucket: 'sink-bucket', client, prefix: 'big' }).on('object', (o: ObjectWritten) => written.push(o))
    // A clock that stands still: on the system clock, a slow run crossing a minute boundary made two objects.
    await pipeline(source(records), minuteWindow({ clock: manualClock() }), gzip({ level: 1 }), hashTap(digests), sink)
    client.destroy()
    expect(written).to.have.length(1)
    expect(written[0]!.bytes).to.be.greaterThan(5 * 1024 * 1024)
    expect(commands.filter((c) => c === 'UploadPartCommand').length).to.be.greaterThan(1)
    expect(commands).to.include('CompleteMultipartUploadCommand')
    const { body } = await s3.getObject('sink-bucket', written[0]!.key)
    expect(body.length).to.equal(written[0]!.bytes)
    expect(sha256(body)).to.equal(digests[0])
    expect(await s3.readRecords('sink-bucket', 'big/')).to.deep.equal(records)
  })

  it("onInvalid: 'dead-letter' puts what cannot be delivered under [prefix]dead-letter/, the rest as usual", async () => {
    const records: unknown[] = [{ ok: 1 }, { bad: 1n }, { ok: 2 }]
    await pipeline(source(records), minuteWindow({ onInvalid: 'dead-letter' }), gzip(), keyRotate({ prefix: 'dl' }), s3Writable({ bucket: 'sink-bucket', ...s3.config }))
    const dead = await s3.listKeys('sink-bucket', 'dl/dead-letter/')
    expect(dead).to.have.length(1)
    expect(dead[0]).to.match(/^dl\/dead-letter\/\d{4}\/\d{2}\/\d{2}\/\d{2}\/[\d-]+-[0-9a-f]{64}\.gz$/)
    expect(await s3.readRecords('sink-bucket', 'dl/dead-letter/')).to.deep.equal([{ index: 1, error: { code: 'ERR_SERIALIZE', message: 'record 1 cannot be serialized: TypeError: Do not know how to serialize a BigInt' }, record: '{ bad: 1n }' }])
    const all = await s3.listKeys('sink-bucket', 'dl/')
    const main = all.filter((k) => !k.startsWith('dl/dead-letter/'))
    expect(main).to.have.length(1)
    const { body } = await s3.getObject('sink-bucket', main[0]!)
    expect(gunzipSync(body).toString()).to.equal('{"ok":1}\n{"ok":2}\n')
  })
})
