import { PassThrough } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { gzip, minuteWindow, s3Writable, type Batch, type S3UploadError, type S3WritableOptions } from '../../lib/index.js'
import type { UploadRetry } from '../../lib/internal/retry-events.js'
import { createS3Client, createUploadClient } from '../../lib/internal/s3-client.js'
import { startFaultProxy, type FaultProxy, type FaultProxyOptions } from '../helpers/fault-proxy.js'
import { fastClock } from '../helpers/fast-clock.js'
import { manualClock } from '../helpers/manual-clock.js'
import { sha256, startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { closed, source, handBatch } from '../helpers/streams.js'

const MiB = 1024 * 1024

/** A batch of `bytes` pseudo-random bytes under a fixed key. */
function batchOf (bytes: number, key: string): { batch: Batch, data: Buffer } {
  const data = Buffer.alloc(bytes)
  for (let i = 0; i < bytes; i += 4) data.writeUInt32LE((i * 2654435761) >>> 0, i)
  const body = new PassThrough()
  body.end(data)
  const batch = handBatch(body, { contentType: 'application/octet-stream', stats: { records: 1, bytes }, key })
  return { batch, data }
}

describe('reliability: retries and timeouts', function () {
  this.timeout(20_000)
  let s3: LocalS3
  let proxy: FaultProxy | undefined
  let bucketNo = 0

  before(async () => { s3 = await startS3rver() })
  after(async () => { await s3.close() })
  afterEach(async () => { await proxy?.close(); proxy = undefined })

  async function setUp (faults: Omit<FaultProxyOptions, 'target'>, options: Partial<S3WritableOptions> = {}): Promise<{ bucket: string, proxy: FaultProxy, options: S3WritableOptions }> {
    const bucket = `retries-${++bucketNo}`
    await s3.createBucket(bucket)
    proxy = await startFaultProxy({ target: s3.endpoint, ...faults })
    return { bucket, proxy, options: { ...s3.config, endpoint: proxy.endpoint, bucket, ...options } }
  }

  describe('defaults', () => {
    it('an upload client fails a request after 120 s in all or 30 s of silence, a connection attempt after 10 s; the SDK tries once', async () => {
      const client = createUploadClient({ region: 'us-east-1' }, 'options')
      // NodeHttpHandler keeps its resolved settings in `configProvider`.
      const handler = client.config.requestHandler as unknown as { configProvider: Promise<Record<string, unknown>> }
      // Without throwOnRequestTimeout the SDK only logs a warning and the request hangs on.
      expect(await handler.configProvider).to.include({ requestTimeout: 120_000, socketTimeout: 30_000, connectionTimeout: 10_000, throwOnRequestTimeout: true })
      // One attempt per call: the sink's own loop retries, with no per-client budget.
      expect(await client.config.maxAttempts()).to.equal(1)
      client.destroy()
      const admin = createS3Client({ region: 'us-east-1' }, 'options')
      expect(await admin.config.maxAttempts()).to.equal(3)
      admin.destroy()
    })

    it('a request silent for socketTimeout fails with TimeoutError and is retried: a stall never hangs the sink', async () => {
      const { bucket, proxy, options } = await setUp({ rates: { stall: 1 }, maxFaults: 1 }, { socketTimeout: 300 })
      await pipeline(source([{ n: 1 }]), minuteWindow({ clock: manualClock() }), gzip(), s3Writable(options))
      expect(proxy.events.map((e) => [e.kind, e.fault, e.attempt])).to.deep.equal([['PutObject', 'stall', 1], ['PutObject', null, 2]])
      expect(await s3.readRecords(bucket)).to.deep.equal([{ n: 1 }])
    })
  })

  describe('the delivery deadline, retryFor', () => {
    it('retries a failing request with growing waits until retryFor, then fails saying how many attempts over how long', async () => {
      const clock = fastClock()
      const { proxy, options } = await setUp({ rates: { internalError: 1 } }, { clock })
      const sink = s3Writable(options)
      const retries: UploadRetry[] = []
      sink.on('retry', (r: UploadRetry) => retries.push(r))
      const err = await pipeline(source([{ n: 1 }]), minuteWindow({ clock: manualClock() }), gzip(), sink).catch((e: unknown) => e) as S3UploadError
      expect(err).to.include({ code: 'ERR_S3_UPLOAD' })
      expect(err.cause).to.include({ name: 'InternalError' })
      // Waits of up to 20 s for 15 minutes: far more attempts than the SDK's 3.
      expect(err.attempts).to.be.greaterThan(40).and.equal(proxy.count('PutObject'))
      expect(err.elapsedMs).to.be.within(14 * 60_000, 15 * 60_000)
      expect(err.message).to.match(new RegExp(`failed after ${err.attempts} attempts over \\d+\\.\\d s: InternalError`))
      expect(retries.map((r) => r.attempt)).to.deep.equal(Array.from({ length: err.attempts! - 1 }, (_, i) => i + 1))
      expect(retries.every((r) => r.key === err.key && r.delayMs >= 0 && r.delayMs <= 20_000)).to.equal(true)
      expect(Math.max(...retries.map((r) => r.delayMs))).to.be.greaterThan(10_000)
    })

    it('retries until the store recovers: 80 failures in a row, more than the SDK\'s retry budget allows (500 tokens, 14 per retry)', async () => {
      const { bucket, proxy, options } = await setUp({ rates: { internalError: 1 }, maxFaults: 80 }, { clock: fastClock() })
      const records = Array.from({ length: 400 }, (_, n) => ({ n }))
      await pipeline(source(records), minuteWindow({ clock: manualClock(), maxRecords: 10 }), gzip(), s3Writable(options))
      expect(proxy.totalFaults).to.equal(80)
      expect(await s3.readRecords(bucket)).to.have.length(400)
    })

    it('retryFor: 0 turns the retries off: the first failure is final', async () => {
      const { proxy, options } = await setUp({ rates: { internalError: 1 } }, { retryFor: 0 })
      const err = await pipeline(source([{ n: 1 }]), minuteWindow({ clock: manualClock() }), gzip(), s3Writable(options)).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_S3_UPLOAD', attempts: 1 })
      expect(proxy.count('PutObject')).to.equal(1)
    })
  })

  describe('stalled requests', () => {
    it('a stalled PutObject times out after requestTimeout and its retry stores the object once', async () => {
      // 1000 ms, not less: on a loaded 2-core CI machine a healthy attempt took over 300 ms and was retried too.
      const { bucket, proxy, options } = await setUp({ rates: { stall: 1 }, maxFaults: 1 }, { requestTimeout: 1000 })
      await pipeline(source([{ n: 1 }, { n: 2 }]), minuteWindow({ clock: manualClock() }), gzip(), s3Writable(options))
      const attempts = proxy.events.map((e) => [e.kind, e.fault, e.attempt])
      expect(attempts[0]).to.deep.equal(['PutObject', 'stall', 1])
      // A slow healthy attempt timed out and retried is the behaviour under test too; only the first is a stall.
      expect(attempts.slice(1).map(([kind, fault]) => [kind, fault])).to.deep.include(['PutObject', null])
      expect(attempts.slice(1).map(([, fault]) => fault)).to.not.include('stall')
      expect(await s3.readRecords(bucket)).to.deep.equal([{ n: 1 }, { n: 2 }])
    })

    it('a stalled UploadPart times out after socketTimeout and is retried with its bytes: the object reads back byte-identical', async () => {
      // socketTimeout, not requestTimeout: sending 5 MiB on a loaded machine may itself take longer than 500 ms.
      const { bucket, proxy, options } = await setUp({ choose: (r) => r.partNumber === 2 ? 'stall' : null, maxFaults: 1 }, { socketTimeout: 1000 })
      const { batch, data } = batchOf(11 * MiB, 'parts.bin')
      await pipeline(source([batch]), s3Writable(options))
      // The stall is the only fault; on a loaded machine a slow healthy attempt may also hit the
      // timeout and be retried, which is the behaviour under test too, so only the first attempt is fixed.
      const part2 = proxy.events.filter((e) => e.partNumber === 2).map((e) => [e.fault, e.attempt])
      expect(part2[0]).to.deep.equal(['stall', 1])
      expect(part2.length).to.be.greaterThan(1)
      expect(part2.slice(1).map(([fault]) => fault)).to.not.include('stall')
      expect(sha256((await s3.getObject(bucket, 'parts.bin')).body)).to.equal(sha256(data))
    })

    it('a request stalled on every attempt fails after maxAttempts with ERR_S3_UPLOAD (TimeoutError): it never hangs', async () => {
      const { bucket, proxy, options } = await setUp({ rates: { stall: 1 } }, { requestTimeout: 200, maxAttempts: 2 })
      const err = await pipeline(source([{ n: 1 }]), minuteWindow({ clock: manualClock() }), gzip(), s3Writable(options)).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_S3_UPLOAD', bucket })
      expect((err as Error).cause).to.include({ name: 'TimeoutError' })
      expect(proxy.count('PutObject')).to.equal(2)
      expect(await s3.listKeys(bucket)).to.deep.equal([])
    })
  })

  describe('transient errors are retried', () => {
    for (const fault of ['slowDown', 'internalError', 'reset'] as const) {
      it(`${fault} on every attempt but the last: the object is stored, after exactly maxAttempts requests`, async () => {
        const { bucket, proxy, options } = await setUp({ rates: { [fault]: 1 }, maxFaultsPerRequest: 2 }, { maxAttempts: 3 })
        await pipeline(source([{ n: 1 }]), minuteWindow({ clock: manualClock() }), gzip(), s3Writable(options))
        expect(proxy.events.map((e) => [e.fault, e.attempt])).to.deep.equal([[fault, 1], [fault, 2], [null, 3]])
        expect(await s3.readRecords(bucket)).to.deep.equal([{ n: 1 }])
      })
    }

    it('gives up after maxAttempts and names the bucket and key', async () => {
      const { bucket, proxy, options } = await setUp({ rates: { internalError: 1 } }, { maxAttempts: 2 })
      const err = await pipeline(source([{ n: 1 }]), minuteWindow({ clock: manualClock() }), gzip(), s3Writable(options)).catch((e: unknown) => e) as S3UploadError
      expect(err).to.include({ code: 'ERR_S3_UPLOAD', bucket, attempts: 2 })
      expect(err.key).to.match(/\.gz$/)
      expect(err.cause).to.include({ name: 'InternalError' })
      expect(err.message).to.include('after 2 attempts')
      expect(proxy.count('PutObject')).to.equal(2)
    })
  })

  describe('permanent errors fail fast', () => {
    it('403 AccessDenied: one attempt, ERR_S3_UPLOAD naming bucket and key', async () => {
      const { bucket, proxy, options } = await setUp({ rates: { accessDenied: 1 } }, { maxAttempts: 5 })
      const err = await pipeline(source([{ n: 1 }]), minuteWindow({ clock: manualClock() }), gzip(), s3Writable(options)).catch((e: unknown) => e) as Error & { key: string }
      expect(err).to.include({ code: 'ERR_S3_UPLOAD', bucket })
      expect(err.message).to.include(`s3://${bucket}/${err.key}`).and.include('AccessDenied')
      expect(err.cause).to.include({ name: 'AccessDenied' })
      expect(proxy.events.map((e) => [e.kind, e.attempt])).to.deep.equal([['PutObject', 1]])
    })

    it('404 NoSuchBucket (from s3rver itself): one attempt, ERR_S3_UPLOAD naming bucket and key', async () => {
      const { proxy, options } = await setUp({}, { maxAttempts: 5 })
      const err = await pipeline(source([{ n: 1 }]), minuteWindow({ clock: manualClock() }), gzip(), s3Writable({ ...options, bucket: 'no-such-bucket', prefix: 'p' }))
        .catch((e: unknown) => e) as Error & { key: string }
      expect(err).to.include({ code: 'ERR_S3_UPLOAD', bucket: 'no-such-bucket' })
      expect(err.key).to.match(/^p\/.+\.gz$/)
      expect(err.message).to.include(`s3://no-such-bucket/${err.key}`).and.include('NoSuchBucket')
      expect(err.cause).to.include({ name: 'NoSuchBucket' })
      expect(proxy.count('PutObject')).to.equal(1)
    })

    it('403 on one UploadPart: that part is tried once, and the multipart upload is aborted', async () => {
      const { proxy, options } = await setUp({ choose: (r) => r.partNumber === 2 ? 'accessDenied' : null }, { maxAttempts: 5 })
      const { batch } = batchOf(11 * MiB, 'denied.bin')
      const err = await pipeline(source([batch]), s3Writable(options)).catch((e: unknown) => e) as { cause: unknown, abortError: unknown }
      expect(err).to.include({ code: 'ERR_S3_UPLOAD', key: 'denied.bin' })
      expect(err.cause).to.include({ name: 'AccessDenied' })
      expect(proxy.events.filter((e) => e.partNumber === 2)).to.have.length(1)
      expect(proxy.count('AbortMultipartUpload')).to.equal(1)
      expect(proxy.count('CompleteMultipartUpload')).to.equal(0)
      // s3rver answers AbortMultipartUpload with 405; the original error stays the one reported.
      expect(err.abortError).to.include({ name: 'MethodNotAllowed' })
    })
  })

  describe('abort cancels requests in flight', () => {
    it('a destroyed sink cancels its stalled PutObject: the SDK does not send it again', async () => {
      const { bucket, proxy } = await setUp({ choose: (r) => r.kind === 'PutObject' ? 'stall' : null })
      const client = createS3Client({ ...s3.config, endpoint: proxy.endpoint, requestTimeout: 60_000 }, 'options')
      const sink = s3Writable({ bucket, client, abortTimeout: 100 })
      const ac = new AbortController()
      const done = pipeline(source([{ a: 1 }]), minuteWindow({ clock: manualClock() }), sink, { signal: ac.signal }).catch((e: unknown) => e)
      while (proxy.count('PutObject') === 0) await new Promise((resolve) => setTimeout(resolve, 10))
      ac.abort()
      expect(await done).to.include({ name: 'AbortError' })
      await closed(sink)
      // An uncancelled request would now fail on its destroyed socket and be retried.
      client.destroy()
      await new Promise((resolve) => setTimeout(resolve, 500))
      expect(proxy.count('PutObject')).to.equal(1)
    })
  })

  describe('a part failing for good while another stalls', () => {
    // A failed part is reported once every other part in flight has settled;
    // UploadJob gives the others abortTimeout, not
    // requestTimeout × maxAttempts.
    // No this.timeout() below the suite's: the stalled part's requestTimeout (60 s) is what a
    // missing abortTimeout would wait for, far above any test timeout, however slow the machine.
    it('a permanent part failure is reported within abortTimeout even while another part stalls', async () => {
      const { proxy, options } = await setUp({ choose: (r) => r.kind !== 'UploadPart' ? null : r.partNumber === 1 ? 'stall' : 'accessDenied' },
        { requestTimeout: 60_000, maxAttempts: 1, abortTimeout: 100 })
      const { batch } = batchOf(6 * MiB, 'stuck.bin')
      const err = await pipeline(source([batch]), s3Writable(options)).catch((e: unknown) => e) as { cause: unknown }
      expect(err).to.include({ code: 'ERR_S3_UPLOAD', key: 'stuck.bin' })
      expect(err.cause).to.include({ name: 'AccessDenied' })
      expect(proxy.count('AbortMultipartUpload')).to.equal(1)
    })
  })
})
