import { randomBytes } from 'node:crypto'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import { expect } from 'chai'
import { filterApis, gzip, minuteWindow, s3Writable, type ObjectWritten, type S3WritableOptions } from '../../lib/index.js'
import { createS3Sink, type RunWritten } from '../../lib/sinks/create-s3-sink.js'
import { startFaultProxy, type FaultKind, type FaultProxy, type FaultProxyOptions, type RequestKind } from '../helpers/fault-proxy.js'
import { fastClock } from '../helpers/fast-clock.js'
import { manualClock } from '../helpers/manual-clock.js'
import { createUploadClient } from '../../lib/internal/s3-client.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { run, source } from '../helpers/streams.js'

const KiB = 1024
const MiB = 1024 * KiB
// A tenth of all requests fail, independently per attempt, with no cap per request.
const TEN_PERCENT = { slowDown: 0.03, internalError: 0.025, reset: 0.025, stall: 0.02 }
// A stall ends in a reset after 200 ms instead of at the socket timeout (30 s by
// default): what is proven is that a stall which ends in a failure is retried.
// That the default timeouts end a stall at all is checked in retries-timeouts.
const STALL_MS = 200
// The retry waits (backoff, up to 20 s each) take no real time; deadlines and
// backoff sequences are those of the defaults. Every option stays default.

/** Runs numbered by `seq`, one in ten failed (so filterApis({ skipOnFail }) has work). */
function * runs (n: number): Generator<Record<string, unknown>> {
  for (let seq = 0; seq < n; seq++) yield { seq, ...run(seq, `api${seq % 3}`, seq % 10 === 9) }
}

/** The NDJSON lines that must arrive, in order. */
function expectedLines (n: number): string[] {
  const lines: string[] = []
  for (const record of runs(n)) if (record.seq as number % 10 !== 9) lines.push(JSON.stringify(record))
  return lines
}

interface StoredObject { key: string, bytes: number, lines: string[] }

/** Every object of the bucket, read from s3rver directly (not through the proxy), gunzipped. */
async function readBack (s3: LocalS3, bucket: string): Promise<StoredObject[]> {
  const objects: StoredObject[] = []
  for (const key of await s3.listKeys(bucket)) {
    const { body } = await s3.getObject(bucket, key)
    // gunzipSync throws on a truncated or corrupt stream: this is the "reads back whole" check.
    const text = gunzipSync(body).toString('utf8')
    expect(text.endsWith('\n'), `${key} ends with a newline`).to.equal(true)
    objects.push({ key, bytes: body.length, lines: text.slice(0, -1).split('\n') })
  }
  // Batches are cut in input order, so ordering objects by their first record restores the feed.
  return objects.sort((a, b) => seqOf(a.lines[0]!) - seqOf(b.lines[0]!))
}

function seqOf (line: string): number {
  return (JSON.parse(line) as { seq: number }).seq
}

/** Runs `tasks` with at most `limit` at once; results in task order. */
async function inParallel<T> (tasks: Array<() => Promise<T>>, limit: number): Promise<T[]> {
  const results: T[] = []
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < tasks.length) {
      const i = next++
      results[i] = await tasks[i]!()
    }
  }
  await Promise.all(Array.from({ length: limit }, worker))
  return results
}

/** Exact equality without a 100,000-line diff: the index of the first difference, or -1. */
function firstDifference (got: readonly string[], want: readonly string[]): number {
  for (let i = 0; i < Math.max(got.length, want.length); i++) if (got[i] !== want[i]) return i
  return -1
}

describe('reliability: the batched pipeline under S3 faults (s3rver behind a fault proxy)', function () {
  this.timeout(60_000)
  let s3: LocalS3
  let proxy: FaultProxy | undefined
  let bucketNo = 0

  before(async () => { s3 = await startS3rver() })
  after(async () => { await s3.close() })
  afterEach(async () => { await proxy?.close(); proxy = undefined })

  async function setUp (faults: Omit<FaultProxyOptions, 'target'>): Promise<{ bucket: string, proxy: FaultProxy }> {
    const bucket = `faults-${++bucketNo}`
    await s3.createBucket(bucket)
    proxy = await startFaultProxy({ target: s3.endpoint, ...faults })
    return { bucket, proxy }
  }

  /** filterApis → minuteWindow (frozen clock: only maxBytes cuts) → gzip → s3Writable, through the proxy. */
  /** With default options: only where to connect. */
  async function deliver (n: number, bucket: string, maxBytes: number, sinkOptions: Partial<S3WritableOptions> = {}, retries: unknown[] = []): Promise<ObjectWritten[]> {
    const sink = s3Writable({ ...s3.config, endpoint: proxy!.endpoint, bucket, ...sinkOptions })
    sink.on('retry', (r: unknown) => retries.push(r))
    const written: ObjectWritten[] = []
    sink.on('object', (o: ObjectWritten) => written.push(o))
    await pipeline(source(runs(n)), filterApis({ skipOnFail: true }), minuteWindow({ maxBytes, clock: manualClock() }), gzip({ level: 1 }), sink)
    return written
  }

  /** The bucket holds exactly the objects announced, and their records are the feed: none lost, none twice, in order. */
  async function expectExactly (bucket: string, written: ObjectWritten[], want: string[]): Promise<StoredObject[]> {
    const objects = await readBack(s3, bucket)
    expect(objects.map((o) => o.key).sort()).to.deep.equal(written.map((o) => o.key).sort())
    const byKey = new Map(written.map((o) => [o.key, o]))
    for (const object of objects) expect({ records: byKey.get(object.key)!.records, bytes: byKey.get(object.key)!.bytes }).to.deep.equal({ records: object.lines.length, bytes: object.bytes })
    const got = objects.flatMap((o) => o.lines)
    expect(got.length).to.equal(want.length)
    expect(firstDifference(got, want)).to.equal(-1)
    return objects
  }

  it('default options: 100,000 records survive 10% of requests failing (503 SlowDown, 500, reset, stall), no cap per request', async () => {
    const { bucket, proxy } = await setUp({ seed: 7, rates: TEN_PERCENT, stallMs: STALL_MS })
    const retries: unknown[] = []
    const written = await deliver(100_000, bucket, 256 * KiB, { clock: fastClock() }, retries)
    const objects = await expectExactly(bucket, written, expectedLines(100_000))
    expect(objects.length).to.be.greaterThan(100)
    for (const kind of ['slowDown', 'internalError', 'reset', 'stall'] as const) expect(proxy.faults[kind], kind).to.be.greaterThan(0)
    expect(proxy.totalFaults / proxy.events.length).to.be.within(0.05, 0.15)
    // Every fault cost one retry, announced as a 'retry' event.
    expect(retries.length).to.equal(proxy.totalFaults)
  })

  it('default options: multipart objects survive a fault on every CreateMultipartUpload, second UploadPart and CompleteMultipartUpload', async () => {
    // Chosen, not drawn: each kind of multipart request fails once per object, whatever the timing.
    const first: Partial<Record<RequestKind, FaultKind>> = { CreateMultipartUpload: 'slowDown', CompleteMultipartUpload: 'internalError' }
    const { bucket, proxy } = await setUp({
      choose: (r) => r.attempt !== 1 ? null : r.kind === 'UploadPart' ? (r.partNumber === 2 ? 'reset' : null) : first[r.kind] ?? null
    })
    // Random base64 hardly compresses: each ~8 MiB window gzips to two parts of 5 MiB.
    const blobs = Array.from({ length: 3200 }, (_, seq) => ({ seq, blob: randomBytes(6 * KiB).toString('base64') }))
    const sink = s3Writable({ ...s3.config, endpoint: proxy.endpoint, bucket })
    const written: ObjectWritten[] = []
    sink.on('object', (o: ObjectWritten) => written.push(o))
    await pipeline(source(blobs), minuteWindow({ maxBytes: 8 * MiB, clock: manualClock() }), gzip({ level: 1 }), sink)
    const objects = await readBack(s3, bucket)
    expect(objects.flatMap((o) => o.lines)).to.deep.equal(blobs.map((b) => JSON.stringify(b)))
    expect(written).to.have.length(objects.length)
    const multipart = objects.filter((o) => o.bytes > 5 * MiB).length
    expect(multipart).to.be.greaterThan(1)
    expect(proxy.faults).to.include({ slowDown: multipart, reset: multipart, internalError: multipart })
  })

  it('default options: a lost PutObject response is retried onto the same key: no duplicate object', async () => {
    const { bucket, proxy } = await setUp({ seed: 11, rates: { lostResponse: 0.2 }, only: ['PutObject'] })
    const written = await deliver(10_000, bucket, 128 * KiB)
    await expectExactly(bucket, written, expectedLines(10_000))
    expect(proxy.faults.lostResponse).to.be.greaterThan(0)
  })

  it('default options: a lost CompleteMultipartUpload response ends as success: HeadObject shows the object is ours', async () => {
    // s3rver answers the retried Complete with NoSuchUpload: the object was stored by the first one.
    const { bucket, proxy } = await setUp({ choose: (r) => r.kind === 'CompleteMultipartUpload' && r.attempt === 1 ? 'lostResponse' : null })
    const blobs = Array.from({ length: 1000 }, (_, seq) => ({ seq, blob: randomBytes(6 * KiB).toString('base64') }))
    const sink = s3Writable({ ...s3.config, endpoint: proxy.endpoint, bucket })
    const written: ObjectWritten[] = []
    sink.on('object', (o: ObjectWritten) => written.push(o))
    await pipeline(source(blobs), minuteWindow({ clock: manualClock() }), sink)
    expect(proxy.faults.lostResponse).to.equal(1)
    expect(proxy.count('HeadObject')).to.equal(1)
    const keys = await s3.listKeys(bucket)
    expect(keys).to.deep.equal(written.map((o) => o.key))
    const { body } = await s3.getObject(bucket, keys[0]!)
    expect(body.toString('utf8')).to.equal(blobs.map((b) => JSON.stringify(b) + '\n').join(''))
  })

  it('default options: s3rver tags multipart objects with the body\'s MD5, so its client keeps hashing bodies: a later lost Complete is recognised too', async () => {
    let completes = 0
    const { bucket, proxy } = await setUp({ choose: (r) => r.kind === 'CompleteMultipartUpload' && r.attempt === 1 && ++completes === 2 ? 'lostResponse' : null })
    // One client for both objects, as one sink's: the first Complete's answer teaches it the store's ETag form.
    const client = createUploadClient({ ...s3.config, endpoint: proxy.endpoint }, 'spec')
    const keys: string[] = []
    for (const first of [0, 1000]) {
      const blobs = Array.from({ length: 1000 }, (_, i) => ({ seq: first + i, blob: randomBytes(6 * KiB).toString('base64') }))
      const sink = s3Writable({ bucket, client, prefix: `o${first}` })
      sink.on('object', (o: ObjectWritten) => keys.push(o.key))
      await pipeline(source(blobs), minuteWindow({ clock: manualClock() }), sink)
    }
    expect(proxy.faults.lostResponse).to.equal(1)
    expect(proxy.count('HeadObject')).to.equal(1)
    expect(await s3.listKeys(bucket)).to.deep.equal(keys.sort())
  })

  describe('the per-Run sink, createS3Sink()', () => {
    it('default options: 1,000 Runs survive 10% of requests failing, no cap per request: one object each, byte-identical', async () => {
      const { bucket, proxy } = await setUp({ seed: 13, rates: TEN_PERCENT, stallMs: STALL_MS })
      const sink = createS3Sink({ type: 's3', bucket, ...s3.config, endpoint: proxy.endpoint, clock: fastClock() })
      const written: RunWritten[] = []
      sink.on('object', (o: RunWritten) => written.push(o))
      let retries = 0
      sink.on('retry', () => { retries++ })
      const input = Array.from({ length: 1000 }, (_, i) => run(i, `api${i % 3}`))
      await pipeline(source(input), sink)
      const keys = await s3.listKeys(bucket)
      expect(keys).to.have.length(1000)
      expect([...new Set(written.map((o) => o.key))].sort()).to.deep.equal(keys)
      const stored = await inParallel(input.map((_, i) => async () => (await s3.getObject(bucket, `api${i % 3}/run-${i}.json`)).body.toString('utf8')), 16)
      expect(firstDifference(stored, input.map((record) => JSON.stringify(record)))).to.equal(-1)
      expect(proxy.totalFaults).to.be.greaterThan(50)
      expect(written).to.have.length(1000)
      expect(retries).to.equal(proxy.totalFaults)
    })
  })
})
