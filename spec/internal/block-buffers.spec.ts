import { execFile } from 'node:child_process'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { expect } from 'chai'
import { systemClock } from '../../lib/clock.js'
import { BlockBuffers, IDLE_MS } from '../../lib/internal/block-buffers.js'
import type { BlockDone } from '../../lib/internal/block-done.js'
import { canGzipInParallel, ParallelGzip } from '../../lib/internal/parallel-gzip.js'
import { manualClock } from '../helpers/manual-clock.js'
import { bytesOf } from '../helpers/streams.js'

const KiB = 1024

/** Lines that compress like a feed. */
function lines (bytes: number): Buffer {
  let text = ''
  for (let i = 0; text.length < bytes; i++) text += JSON.stringify({ i, api: 'runs' }) + '\n'
  return Buffer.from(text).subarray(0, bytes)
}

/** Parallel gzip that records the block buffers its jobs get, and can hold a job's end until `release()`. */
class WatchedGzip extends ParallelGzip {
  readonly blocks = new Set<ArrayBufferLike>()
  held: (() => void) | null = null
  hold = false

  protected override compress (block: Buffer, done: BlockDone): void {
    this.blocks.add(block.buffer)
    if (!this.hold) return super.compress(block, done)
    super.compress(block, (err, out) => { this.held = () => { done(err, out) } })
  }
}

describe('BlockBuffers', () => {
  // Sizes no other spec uses: the kept buffers are shared by the whole process.
  it('hands a kept buffer out again for its size only, once', () => {
    const a = Buffer.allocUnsafe(64 * KiB + 1)
    BlockBuffers.keep([a, a])
    expect(BlockBuffers.take(64 * KiB + 2)).to.not.equal(a)
    expect(BlockBuffers.take(64 * KiB + 1)).to.equal(a)
    expect(BlockBuffers.take(64 * KiB + 1)).to.not.equal(a)
  })

  it('keeps at most 6 MiB, of the sizes last given back', () => {
    const size = 1024 * KiB + 3
    const given: Buffer[] = Array.from({ length: 8 }, () => Buffer.allocUnsafe(size))
    BlockBuffers.keep(given)
    const back = Array.from({ length: 8 }, () => BlockBuffers.take(size)).filter((b) => given.includes(b))
    expect(back).to.have.length(5)
  })

  it('lets the kept buffers go once none was taken or given back for IDLE_MS (a minute), on the injectable clock', () => {
    const clock = manualClock()
    BlockBuffers.useClock(clock)
    try {
      const size = 64 * KiB + 9
      const a = Buffer.allocUnsafe(size)
      BlockBuffers.keep([a])
      clock.advance(IDLE_MS - 1000)
      const b = Buffer.allocUnsafe(size)
      BlockBuffers.keep([b]) // used again: the idle time counts from here
      clock.advance(IDLE_MS - 1000)
      expect(BlockBuffers.keptBytes).to.be.at.least(2 * size)
      clock.advance(1000)
      expect(BlockBuffers.keptBytes).to.equal(0)
      expect(clock.pending).to.equal(0)
      expect([a, b]).to.not.include(BlockBuffers.take(size))
    } finally {
      BlockBuffers.useClock(systemClock)
    }
  })

  it('its idle check does not keep the process alive', async () => {
    const code = `import { BlockBuffers } from ${JSON.stringify(new URL('../../lib/internal/block-buffers.ts', import.meta.url).href)}
      BlockBuffers.keep([Buffer.alloc(64 * 1024)]); if (BlockBuffers.keptBytes === 0) process.exit(3)`
    const started = Date.now()
    await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', code], { timeout: 30_000 })
    expect(Date.now() - started).to.be.below(30_000)
  })

  describe('shared by ParallelGzip bodies', function () {
    before(function () {
      if (!canGzipInParallel()) this.skip() // zlib.crc32 arrived in Node 20.15
    })

    it('a body fills the blocks of the body before it, and both decompress to their input', async () => {
      const options = { level: 6, blockSize: 64 * KiB + 5, blocksInFlight: 2 }
      const first = new WatchedGzip(options)
      const second = new WatchedGzip(options)
      const a = lines(600 * KiB)
      const b = lines(700 * KiB).reverse()
      const outA = bytesOf(first)
      await pipeline(Readable.from([a]), first)
      const outB = bytesOf(second)
      await pipeline(Readable.from([b]), second)
      expect(gunzipSync(await outA).equals(a)).to.equal(true)
      expect(gunzipSync(await outB).equals(b)).to.equal(true)
      expect([...second.blocks].filter((buffer) => first.blocks.has(buffer)).length).to.be.at.least(2)
    })

    it('a body destroyed while a job runs gives that block back only once the job has ended', async () => {
      const size = 64 * KiB + 7
      const gz = new WatchedGzip({ level: 6, blockSize: size, blocksInFlight: 1 })
      gz.hold = true
      gz.resume()
      gz.write(lines(size))
      await new Promise((resolve) => setTimeout(resolve, 100))
      expect(gz.held).to.be.a('function')
      gz.destroy()
      const running = [...gz.blocks]
      const during = Array.from({ length: 4 }, () => BlockBuffers.take(size))
      expect(during.filter((b) => running.includes(b.buffer))).to.have.length(0)
      gz.held?.()
      const after = BlockBuffers.take(size)
      expect(running).to.include(after.buffer)
    })
  })
})
