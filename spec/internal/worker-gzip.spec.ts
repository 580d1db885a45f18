import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import { expect } from 'chai'
import { deflateWorker } from '../../lib/internal/deflate-worker.js'
import { WorkerGzip } from '../../lib/internal/worker-gzip.js'
import { bytesOf } from '../helpers/streams.js'

const KiB = 1024

/** Bytes that compress like a feed: repeated JSON lines with a counter. */
function body (bytes: number): Buffer {
  let text = ''
  for (let i = 0; text.length < bytes; i++) text += JSON.stringify({ i, api: 'runs', ok: i % 3 === 0 }) + '\n'
  return Buffer.from(text).subarray(0, bytes)
}

function chunksOf (data: Buffer, size: number): Buffer[] {
  const out: Buffer[] = []
  for (let at = 0; at < data.length; at += size) out.push(data.subarray(at, at + size))
  return out
}

// The failure paths of parallel gzip on worker threads: a block the worker
// cannot deflate must fail the stream (never leave it waiting for an answer
// that will not come), and the worker must stay usable for other streams.
describe('WorkerGzip failures', () => {
  it('a block the worker cannot deflate fails the stream with the zlib error, and the next stream compresses', async () => {
    // Level 42 passes no stage's validation; only an internal caller could send it, and zlib refuses it in the worker.
    const bad = new WorkerGzip({ level: 42, blockSize: 64 * KiB, blocksInFlight: 2, workers: 1 })
    const drained = bytesOf(bad).catch(() => Buffer.alloc(0))
    const failure = await pipeline(Readable.from(chunksOf(body(512 * KiB), 16 * KiB)), bad).then(() => null, (err: unknown) => err)
    await drained
    expect(failure).to.be.an('error')
    expect((failure as { code?: string }).code).to.equal('ERR_OUT_OF_RANGE')
    expect(deflateWorker(0)?.usable).to.equal(true)

    const data = body(300 * KiB)
    const good = new WorkerGzip({ level: 6, blockSize: 64 * KiB, blocksInFlight: 2, workers: 1 })
    const out = bytesOf(good)
    await pipeline(Readable.from(chunksOf(data, 16 * KiB)), good)
    expect(gunzipSync(await out)).to.deep.equal(data)
  })

  it('destroyed while blocks are at the worker: closes at once, and the answers that come back later are dropped', async () => {
    const gz = new WorkerGzip({ level: 9, blockSize: 256 * KiB, blocksInFlight: 2, workers: 1 })
    const data = body(2048 * KiB)
    for (const chunk of chunksOf(data, 64 * KiB)) if (!gz.write(chunk)) break
    const failed = new Promise<unknown>((resolve) => gz.once('error', resolve))
    gz.destroy(new Error('stop'))
    await new Promise<void>((resolve) => gz.once('close', () => { resolve() }))
    expect((await failed as Error).message).to.equal('stop')
    expect(gz.destroyed).to.equal(true)
    // The worker still serves a fresh stream once the dropped answers have arrived.
    const next = new WorkerGzip({ level: 1, blockSize: 64 * KiB, blocksInFlight: 2, workers: 1 })
    const out = bytesOf(next)
    await pipeline(Readable.from(chunksOf(data, 64 * KiB)), next)
    expect(gunzipSync(await out)).to.deep.equal(data)
  })
})
