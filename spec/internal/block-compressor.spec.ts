import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { PassThrough, Readable, type Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import { expect } from 'chai'
import type { Batch } from '../../lib/batch.js'
import { CompressionFailedError, S3SinkError } from '../../lib/errors.js'
import { s3Writable } from '../../lib/index.js'
import type { BlockDone } from '../../lib/internal/block-done.js'
import { createCompressor, resolveCompression } from '../../lib/internal/compression.js'
import { canGzipInParallel, ParallelGzip, type ParallelGzipOptions } from '../../lib/internal/parallel-gzip.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { bytesOf, handBatch, watch } from '../helpers/streams.js'

const KiB = 1024

function chunksOf (data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = []
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size))
  return out
}

/** Bytes that compress like a feed: JSON lines with a counter. */
function body (bytes: number): Buffer {
  let text = ''
  for (let i = 0; text.length < bytes; i++) text += JSON.stringify({ i, api: 'runs', ok: i % 3 === 0 }) + '\n'
  return Buffer.from(text).subarray(0, bytes)
}

/**
 * Real parallel gzip whose job for block `failAt` ends in zlib's error, the
 * way an out-of-memory deflate ends: asynchronously, after the blocks before
 * it were compressed (and possibly passed on).
 */
class FailingGzip extends ParallelGzip {
  readonly #failAt: number
  #seq = 0
  readonly zlibError = Object.assign(new Error('insufficient memory'), { code: 'Z_MEM_ERROR', errno: -4 })

  constructor (options: ParallelGzipOptions, failAt: number) {
    super(options)
    this.#failAt = failAt
  }

  protected override compress (block: Buffer, done: BlockDone): void {
    if (this.#seq++ !== this.#failAt) return super.compress(block, done)
    setTimeout(() => { done(this.zlibError) }, 5)
  }
}

describe('block compression failures', function () {
  before(function () {
    if (!canGzipInParallel()) this.skip() // zlib.crc32 arrived in Node 20.15
  })

  it('a job zlib refuses fails the stream with ERR_COMPRESSION and zlib\'s error as cause; the writer\'s call does not throw', async () => {
    // Level 42 passes no stage's validation; only an internal caller could send it, and zlib refuses the block's job.
    const bad = new ParallelGzip({ level: 42, blockSize: 64 * KiB, blocksInFlight: 2 })
    const drained = bytesOf(bad).catch(() => Buffer.alloc(0))
    const failure = await pipeline(Readable.from(chunksOf(body(512 * KiB), 16 * KiB)), bad).then(() => null, (err: unknown) => err)
    await drained
    expect(failure).to.be.instanceOf(CompressionFailedError).and.instanceOf(S3SinkError)
    const err = failure as CompressionFailedError
    expect(err.code).to.equal('ERR_COMPRESSION')
    expect(err.codec).to.equal('gzip')
    expect((err.cause as { code?: string }).code).to.equal('ERR_OUT_OF_RANGE')
  })

  it('a job failing mid-stream: the stream errors once with ERR_COMPRESSION, passes on nothing of the failed block or after it, never ends', async () => {
    const data = body(1024 * KiB)
    const gz = new FailingGzip({ level: 6, blockSize: 64 * KiB, blocksInFlight: 2 }, 5)
    const seen = watch(gz)
    const out: Buffer[] = []
    gz.on('data', (chunk: Buffer) => out.push(chunk))
    const failure = await pipeline(Readable.from(chunksOf(data, 16 * KiB)), gz).then(() => null, (err: unknown) => err)
    expect(failure).to.be.instanceOf(CompressionFailedError)
    expect((failure as CompressionFailedError).cause).to.equal(gz.zlibError)
    expect((failure as Error).message).to.match(/^gzip compression of the batch body failed at block 5: insufficient memory/)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(seen).to.deep.include({ errors: [failure], end: 0 })
    // What was passed on is the header and blocks 0 to 3 or 4 (block 4 may still be compressing when block 5 fails),
    // never a byte of block 5 or after: a gzip reader finds it truncated, never complete.
    const passed = Buffer.concat(out)
    const reference = new ParallelGzip({ level: 6, blockSize: 64 * KiB, blocksInFlight: 2 })
    const whole = bytesOf(reference)
    await pipeline(Readable.from(chunksOf(data.subarray(0, 5 * 64 * KiB), 16 * KiB)), reference)
    const full = await whole
    expect(passed.length).to.be.above(10).and.at.most(full.length - 10)
    expect(passed).to.deep.equal(full.subarray(0, passed.length))
    expect(() => gunzipSync(passed)).to.throw()
  })

  it('one zlib stream (threads: 1) fails with ERR_COMPRESSION too when zlib itself fails; other errors pass unchanged', async () => {
    const gz = createCompressor(resolveCompression({ threads: 1 }, 'options')) as Transform
    const failed = once(gz, 'error')
    // How node:zlib reports a failed job: destroy() with zlib's code and errno.
    const zlibError = Object.assign(new Error('insufficient memory'), { code: 'Z_MEM_ERROR', errno: -4 })
    gz.write(body(64 * KiB))
    gz.destroy(zlibError)
    const [err] = await failed as [CompressionFailedError]
    expect(err).to.be.instanceOf(CompressionFailedError)
    expect(err).to.include({ code: 'ERR_COMPRESSION', codec: 'gzip' })
    expect(err.cause).to.equal(zlibError)
    const other = createCompressor(resolveCompression({ threads: 1 }, 'options')) as Transform
    const boom = new Error('the body failed')
    const otherFailed = once(other, 'error')
    other.destroy(boom)
    expect((await otherFailed)[0]).to.equal(boom)
  })

  describe('into S3 (s3rver)', function () {
    this.timeout(30_000)
    let s3: LocalS3
    before(async () => {
      s3 = await startS3rver()
      await s3.createBucket('gz-fail')
    })
    after(async () => { await s3.close() })

    it('a body whose compression fails mid-upload (a part already sent) fails s3Writable (ERR_S3_UPLOAD caused by ERR_COMPRESSION), and no object is stored', async () => {
      const raw = new PassThrough()
      // Incompressible 1 MiB blocks at level 1: block 7 fails after more than a 5 MiB part went out.
      const gz = new FailingGzip({ level: 1, blockSize: 1024 * KiB, blocksInFlight: 2 }, 7)
      const batch: Batch = { ...handBatch(gz), contentEncoding: 'gzip' }
      void pipeline(raw, gz).catch(() => {})
      const feeding = (async () => {
        for (const chunk of chunksOf(randomBytes(10 * 1024 * KiB), 64 * KiB)) {
          if (!raw.write(chunk)) await Promise.race([once(raw, 'drain'), once(raw, 'close')]).catch(() => {})
          if (raw.destroyed) return
        }
        raw.end()
      })()
      const failure = await pipeline(Readable.from([batch]), s3Writable({ ...s3.config, bucket: 'gz-fail' })).then(() => null, (err: unknown) => err)
      await feeding
      // The upload's error (ERR_S3_UPLOAD: bucket, key) carries the compression failure as its cause.
      expect(failure).to.include({ code: 'ERR_S3_UPLOAD' })
      expect((failure as Error).cause).to.be.instanceOf(CompressionFailedError)
      expect(await s3.listKeys('gz-fail')).to.deep.equal([])
    })
  })
})
