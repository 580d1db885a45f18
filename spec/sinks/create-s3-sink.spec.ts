import { once } from 'node:events'
import { inspect } from 'node:util'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { ConfigError, type ObjectWritten, type S3UploadError } from '../../lib/index.js'
import { createS3Sink, type RunWritten } from '../../lib/sinks/create-s3-sink.js'
import type { S3SinkConfig } from '../../lib/sinks/sink-config.js'
import { manualClock } from '../helpers/manual-clock.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { run, source } from '../helpers/streams.js'

const BUCKET = 'run-sink-bucket'
const SECRET = 'wJalrXUtnFFFI/K7MDENG/SECRET-never-print-me'
const TOKEN = 'SESSION-TOKEN-never-print-me'
const T0 = Date.UTC(2026, 10, 25, 14, 3, 7)
const BATCH_KEY = /^batched\/2026\/11\/25\/14\/2026-11-25-14-03-07-[0-9a-f]{64}\.gz$/

/** Waits for a state the SDK middleware and zlib's thread pool reach asynchronously (polls; asserts no timing). */
async function until (condition: () => boolean): Promise<void> {
  for (let i = 0; i < 5000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 1))
  expect(condition()).to.equal(true)
}

/** A mocked client whose PutObject calls each wait for `release()`. */
function gatedClient (): { client: S3Client, mock: ReturnType<typeof mockClient>, gates: Array<() => void> } {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } })
  const mock = mockClient(client)
  const gates: Array<() => void> = []
  mock.on(PutObjectCommand).callsFake(async () => await new Promise((resolve) => gates.push(() => resolve({ ETag: '"gated"' }))))
  return { client, mock, gates }
}

function errorsOf (stream: NodeJS.EventEmitter): Error[] {
  const errors: Error[] = []
  stream.on('error', (err: Error) => errors.push(err))
  return errors
}

describe('createS3Sink()', function () {
  this.timeout(30_000)
  let s3: LocalS3
  const cfg = (extra: Partial<S3SinkConfig> & Record<string, unknown> = {}): S3SinkConfig =>
    ({ type: 's3', bucket: BUCKET, ...s3.config, ...extra })

  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket(BUCKET)
  })
  after(async () => { await s3.close() })

  describe('one .json object per Run (s3rver)', () => {
    it('stores each Run at [prefix]/[api]/[runId].json with exactly JSON.stringify(run) as content', async () => {
      const runs = [run(1, 'search'), run(2, 'detail'), run(3, 'search', true)]
      const sink = createS3Sink(cfg({ prefix: 'plain' }))
      const written: RunWritten[] = []
      sink.on('object', (o: RunWritten) => written.push(o))
      await pipeline(source(runs), sink)
      expect(await s3.listKeys(BUCKET, 'plain/')).to.deep.equal(['plain/detail/run-2.json', 'plain/search/run-1.json', 'plain/search/run-3.json'])
      for (const r of runs) {
        const info = r.apiInfo as { name: string, runId: string }
        const object = await s3.getObject(BUCKET, `plain/${info.name}/${info.runId}.json`)
        expect(object.body.toString('utf8')).to.equal(JSON.stringify(r))
        expect(object.contentType).to.equal('application/json')
      }
      expect(written.map((o) => o.key).sort()).to.deep.equal(await s3.listKeys(BUCKET, 'plain/'))
      for (const o of written) {
        expect(o).to.include({ bucket: BUCKET, records: 1 })
        expect(o.bytes).to.equal((await s3.getObject(BUCKET, o.key)).body.length)
        expect(o.etag).to.be.a('string')
      }
    })

    it('honours skipOnFail and apisToSend, announcing every Run it drops', async () => {
      const runs = [run(1, 'search'), run(2, 'detail'), run(3, 'search', true), run(4, 'search')]
      const sink = createS3Sink(cfg({ prefix: 'filtered/', skipOnFail: true, apisToSend: ['search'] }))
      const drops: Array<{ record: unknown, reason: string }> = []
      sink.on('drop', (d: { record: unknown, reason: string }) => drops.push(d))
      await pipeline(source(runs), sink)
      expect(await s3.listKeys(BUCKET, 'filtered/')).to.deep.equal(['filtered/search/run-1.json', 'filtered/search/run-4.json'])
      expect(drops).to.deep.equal([{ record: runs[1], reason: 'api' }, { record: runs[2], reason: 'failed' }])
    })

    it('replaces the object of a redelivered Run instead of duplicating it', async () => {
      const first = run(7, 'search')
      await pipeline(source([first, first]), createS3Sink(cfg({ prefix: 'redelivered' })))
      const again = { ...first, redelivered: true }
      await pipeline(source([again]), createS3Sink(cfg({ prefix: 'redelivered' })))
      expect(await s3.listKeys(BUCKET, 'redelivered/')).to.deep.equal(['redelivered/search/run-7.json'])
      expect((await s3.getObject(BUCKET, 'redelivered/search/run-7.json')).body.toString()).to.equal(JSON.stringify(again))
    })

    it('falls back to a timestamped key with a random suffix when the Run has no runId', async () => {
      const noId = { apiInfo: { name: 'api1', result: { status: 'completed' } }, n: 1 }
      await pipeline(source([noId, noId]), createS3Sink(cfg({ prefix: 'fallback', clock: manualClock(T0) })))
      const keys = await s3.listKeys(BUCKET, 'fallback/')
      expect(keys).to.have.length(2)
      for (const key of keys) {
        expect(key).to.match(/^fallback\/api1\/2026\/11\/25\/14\/2026-11-25-14-03-07-[0-9a-f]{64}\.json$/)
        expect((await s3.getObject(BUCKET, key)).body.toString()).to.equal(JSON.stringify(noId))
      }
    })

    it('makes unsafe API names and runIds safe for keys, keeping distinct names distinct', async () => {
      const named = (name: unknown, runId: unknown): unknown => ({ apiInfo: { name, runId } })
      const long = 'n'.repeat(300)
      const runs = [
        named('../etc', 'r1'), named('a/b', 'r2'), named('', 'r3'), named('.', 'r4'), named('..', 'r5'),
        named('x\u0001y', 'r6'), named('ok', '../../passwd'), named('ok', '..'), named('ok', '50%'), named(42, 'r7'),
        named(long, 'r8'), named(`${long}x`, 'r8'), named('_unknown', 'r9')
      ]
      await pipeline(source(runs), createS3Sink(cfg({ prefix: 'unsafe' })))
      const keys = await s3.listKeys(BUCKET, 'unsafe/')
      const short = keys.filter((k) => !k.startsWith('unsafe/nnn'))
      expect(short).to.deep.equal([
        'unsafe/%2E%2E/r5.json', 'unsafe/%2E/r4.json', 'unsafe/%5Funknown/r9.json', 'unsafe/..%2Fetc/r1.json', 'unsafe/_unknown/r3.json', 'unsafe/_unknown/r7.json',
        'unsafe/a%2Fb/r2.json', 'unsafe/ok/%2E%2E.json', 'unsafe/ok/..%2F..%2Fpasswd.json', 'unsafe/ok/50%25.json', 'unsafe/x%01y/r6.json'
      ])
      const longKeys = keys.filter((k) => k.startsWith('unsafe/nnn'))
      expect(longKeys).to.have.length(2)
      for (const key of longKeys) expect(key).to.match(/^unsafe\/n{64}~[0-9a-f]{32}\/r8\.json$/)
      for (const key of keys) {
        expect(key.split('/').every((segment) => segment !== '.' && segment !== '..' && segment !== '')).to.equal(true)
        expect(key).not.to.match(/[\u0000-\u001f\u007f]/)
      }
    })

    it('accepts bucketName as an alias of bucket', async () => {
      const { bucket: _bucket, ...rest } = cfg({ prefix: 'alias' })
      await pipeline(source([run(1)]), createS3Sink({ ...rest, bucketName: BUCKET }))
      expect(await s3.listKeys(BUCKET, 'alias/')).to.deep.equal(['alias/api1/run-1.json'])
    })

    it('never shows the secret or the session token in util.inspect(sink)', async () => {
      const sink = createS3Sink(cfg({ prefix: 'secret', secretAccessKey: SECRET, sessionToken: TOKEN }))
      await pipeline(source([run(1)]), sink)
      const batched = createS3Sink(cfg({ secretAccessKey: SECRET, sessionToken: TOKEN, batched: true }))
      for (const stream of [sink, batched]) {
        const printed = inspect(stream, { depth: 8, showHidden: true })
        expect(printed).not.to.include(SECRET)
        expect(printed).not.to.include(TOKEN)
      }
      batched.destroy()
    })
  })

  it('destroys the client it made from the config once it closes, never a client of the caller', async () => {
    const destroyed: S3Client[] = []
    const original = S3Client.prototype.destroy
    S3Client.prototype.destroy = function (this: S3Client) { destroyed.push(this); original.call(this) }
    try {
      for (const [i, batched] of [false, true].entries()) {
        const sink = createS3Sink(cfg({ prefix: 'owned', batched }))
        const closed = new Promise((resolve) => sink.on('close', resolve))
        await pipeline(source([run(1)]), sink)
        await closed
        await until(() => destroyed.length === i + 1)
      }
      const { client } = gatedClient()
      client.send = async () => ({ ETag: '"mine"' }) as never
      const sink = createS3Sink({ type: 's3', bucket: 'logs', client })
      await pipeline(source([run(1)]), sink)
      expect(destroyed).to.have.length(2)
    } finally {
      S3Client.prototype.destroy = original
    }
  })

  describe('config errors', () => {
    it('throws one ConfigError naming every problem, before any stream exists, without echoing the secret', () => {
      const config = Object.freeze({ type: 's3', bucket: BUCKET, region: 'us-east-1', accessKeyId: 'AK', secretAccessKey: SECRET, skipOnFailure: true, concurrency: 0 })
      let caught: unknown
      try { createS3Sink(config) } catch (err) { caught = err }
      expect(caught).to.be.instanceOf(ConfigError)
      const err = caught as ConfigError
      expect(err.code).to.equal('ERR_S3_SINK_CONFIG')
      expect(err.issues.map((i) => `${i.path}:${i.problem}`).sort()).to.deep.equal(['concurrency:invalid', 'skipOnFailure:unknown'])
      expect(inspect(err, { depth: Infinity })).not.to.include(SECRET)
    })
  })

  describe('uploads, failures and backpressure (aws-sdk-client-mock)', () => {
    it('rejects pipeline() with ERR_S3_UPLOAD naming the key when a PutObject fails, reported once', async () => {
      const { client, mock } = gatedClient()
      mock.on(PutObjectCommand).resolves({ ETag: '"ok"' })
      mock.on(PutObjectCommand, { Key: 'm/api2/run-2.json' }).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }))
      const sink = createS3Sink({ type: 's3', bucket: 'logs', client, prefix: 'm' })
      const errors = errorsOf(sink)
      const err = await pipeline(source([run(1), run(2), run(3)]), sink).then(() => null, (e: unknown) => e as S3UploadError)
      expect(err).to.include({ code: 'ERR_S3_UPLOAD', bucket: 'logs', key: 'm/api2/run-2.json' })
      expect((err?.cause as Error).name).to.equal('AccessDenied')
      await new Promise((resolve) => setImmediate(resolve))
      expect(errors).to.deep.equal([err])
    })

    it('rejects pipeline() with ERR_S3_UPLOAD when a caller\'s client throws from send() instead of rejecting', async () => {
      const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } })
      client.send = () => { throw Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }) }
      const sink = createS3Sink({ type: 's3', bucket: 'logs', client, prefix: 'm' })
      const errors = errorsOf(sink)
      const err = await pipeline(source([run(1), run(2)]), sink).then(() => null, (e: unknown) => e as S3UploadError)
      expect(err).to.include({ code: 'ERR_S3_UPLOAD', bucket: 'logs', key: 'm/api1/run-1.json' })
      expect((err?.cause as Error).name).to.equal('AccessDenied')
      await new Promise((resolve) => setImmediate(resolve))
      expect(errors).to.deep.equal([err])
    })

    it('stores through a caller\'s client (a stub) whose send() answers nothing, or a plain value, per Run and batched, instead of crashing the process', async () => {
      const answers: Array<[string, S3Client['send']]> = [
        ['a promise of nothing', (async () => undefined) as unknown as S3Client['send']],
        ['a plain value', (() => ({ ETag: '"e"', UploadId: 'u' })) as unknown as S3Client['send']],
        ['nothing', (() => undefined) as unknown as S3Client['send']]
      ]
      for (const [label, send] of answers) {
        for (const batched of [false, true]) {
          const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } })
          client.send = send
          const written: string[] = []
          const sink = createS3Sink({ type: 's3', bucket: 'logs', client, prefix: 'm', batched })
          sink.on('object', ({ key }: { key: string }) => written.push(key))
          await pipeline(source([run(1)]), sink)
          expect(written, `${label}, batched: ${batched}`).to.have.length(1)
        }
      }
    })

    it('never has more PutObject calls in flight than concurrency (default 8)', async () => {
      for (const concurrency of [3, undefined]) {
        const { client, mock } = gatedClient()
        let inFlight = 0
        let most = 0
        mock.on(PutObjectCommand).callsFake(async () => {
          most = Math.max(most, ++inFlight)
          for (let i = 0; i < 3; i++) await new Promise((resolve) => setImmediate(resolve))
          inFlight--
          return { ETag: '"slow"' }
        })
        const runs = Array.from({ length: 30 }, (_, i) => run(i))
        await pipeline(source(runs), createS3Sink({ type: 's3', bucket: 'logs', client, concurrency }))
        expect(most).to.equal(concurrency ?? 8)
        expect(mock.commandCalls(PutObjectCommand)).to.have.length(30)
      }
    })

    it('write() returns false once every slot is taken, drains when one frees, and finishes only after every upload', async () => {
      const { client, mock, gates } = gatedClient()
      const sink = createS3Sink({ type: 's3', bucket: 'logs', client, concurrency: 2 })
      let drained = 0
      let finished = false
      sink.on('drain', () => { drained++ })
      sink.on('finish', () => { finished = true })
      expect(sink.write(run(1))).to.equal(true)
      expect(sink.write(run(2))).to.equal(true) // takes the last slot
      expect(sink.write(run(3))).to.equal(false)
      await until(() => gates.length === 2)
      expect(mock.commandCalls(PutObjectCommand)).to.have.length(2)
      gates[0]!()
      await until(() => gates.length === 3) // run 3 got the freed slot, which leaves none
      expect(drained).to.equal(0)
      gates[1]!()
      await until(() => drained === 1)
      sink.end()
      await new Promise((resolve) => setImmediate(resolve))
      expect(finished).to.equal(false)
      gates[2]!()
      await once(sink, 'finish')
      expect(mock.commandCalls(PutObjectCommand)).to.have.length(3)
    })

    it('destroy() mid-stream aborts the uploads in flight and reports its error once', async () => {
      const { client, mock, gates } = gatedClient()
      const sink = createS3Sink({ type: 's3', bucket: 'logs', client, concurrency: 2 })
      const errors = errorsOf(sink)
      const objects: unknown[] = []
      sink.on('object', (o) => objects.push(o))
      sink.on('finish', () => { throw new Error('must not finish') })
      sink.write(run(1))
      sink.write(run(2))
      await until(() => gates.length === 2)
      const stop = new Error('stop')
      const closed = new Promise((resolve) => sink.on('close', resolve))
      sink.destroy(stop)
      // 'close' comes only once both hanging uploads have been aborted.
      await closed
      expect(errors).to.deep.equal([stop])
      gates.forEach((release) => { release() })
      await new Promise((resolve) => setImmediate(resolve))
      expect(objects).to.deep.equal([])
      expect(mock.commandCalls(PutObjectCommand)).to.have.length(2)
    })

    it('fails with ERR_SERIALIZE and the Run index for a Run JSON cannot hold', async () => {
      const { client } = gatedClient()
      const cyclic: Record<string, unknown> = { apiInfo: { name: 'a', runId: 'c' } }
      cyclic.self = cyclic
      const err = await pipeline(source([cyclic]), createS3Sink({ type: 's3', bucket: 'logs', client })).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_SERIALIZE', index: 0 })
    })

    it('fails with ERR_CALLBACK when the injected clock throws', async () => {
      const { client } = gatedClient()
      const clock = { ...manualClock(T0), now: () => { throw new Error('clock broke') } }
      const err = await pipeline(source([run(1)]), createS3Sink({ type: 's3', bucket: 'logs', client, clock })).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_CALLBACK', option: 'config.clock.now' })
    })
  })

  describe('batched: minute-window NDJSON gzip objects', () => {
    it('pipeline(source, createS3Sink({ batched })) resolves only once every object exists in s3rver', async () => {
      const feed = Array.from({ length: 50 }, (_, i) => run(i, `api${i % 3}`, i % 5 === 0))
      const sink = createS3Sink(cfg({ prefix: 'batched', skipOnFail: true, clock: manualClock(T0), batched: { maxRecords: 15, level: 1 } }))
      const written: ObjectWritten[] = []
      const drops: unknown[] = []
      sink.on('object', (o: ObjectWritten) => written.push(o))
      sink.on('drop', (d) => drops.push(d))
      await pipeline(source(feed), sink)
      const keys = await s3.listKeys(BUCKET, 'batched/')
      expect(keys).to.have.length(3) // 40 kept Runs, 15 per object
      for (const key of keys) expect(key).to.match(BATCH_KEY)
      expect(written.map((o) => o.key).sort()).to.deep.equal(keys)
      expect(drops).to.have.length(10)
      const stored = await s3.readRecords(BUCKET, 'batched/')
      const kept = feed.filter((_, i) => i % 5 !== 0)
      expect(stored).to.have.deep.members(kept)
      expect(stored).to.have.length(kept.length)
    })

    it('does not finish before the upload completes', async () => {
      const { client, gates } = gatedClient()
      let resolved = false
      const done = pipeline(source([run(1), run(2)]), createS3Sink({ type: 's3', bucket: 'logs', client, batched: true })).then(() => { resolved = true })
      await until(() => gates.length === 1)
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
      expect(resolved).to.equal(false)
      gates[0]!()
      await done
    })

    it('rejects pipeline() with the real S3UploadError when the upload fails after the input ended, reported once', async () => {
      const { client, mock } = gatedClient()
      mock.on(PutObjectCommand).rejects(Object.assign(new Error('Slow Down'), { name: 'SlowDown' }))
      const sink = createS3Sink({ type: 's3', bucket: 'logs', client, prefix: 'b', batched: true, retryFor: 0 })
      const errors = errorsOf(sink)
      const err = await pipeline(source([run(1), run(2)]), sink).then(() => null, (e: unknown) => e as S3UploadError)
      expect(err).to.include({ code: 'ERR_S3_UPLOAD', bucket: 'logs' })
      expect(err?.key).to.match(/^b\/\d{4}\/.+\.gz$/)
      expect((err?.cause as Error).name).to.equal('SlowDown')
      await new Promise((resolve) => setImmediate(resolve))
      expect(errors).to.deep.equal([err])
    })

    it('destroy() mid-window clears the window timer, aborts the upload and reports once', async () => {
      const { client, mock } = gatedClient()
      const clock = manualClock(T0)
      const sink = createS3Sink({ type: 's3', bucket: 'logs', client, clock, batched: true })
      const errors = errorsOf(sink)
      const input = new Readable({ objectMode: true, read () {} })
      const done = pipeline(input, sink).catch((e: unknown) => e)
      input.push(run(1))
      await until(() => clock.pending === 1)
      const stop = new Error('stop')
      sink.destroy(stop)
      expect(await done).to.equal(stop)
      expect(clock.pending).to.equal(0)
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setImmediate(resolve))
      // The window never closed, so its truncated object was never completed.
      expect(mock.commandCalls(PutObjectCommand)).to.have.length(0)
      expect(errors).to.deep.equal([stop])
    })
  })
})
