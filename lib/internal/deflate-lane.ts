import * as zlib from 'node:zlib'
import type { BlockDone } from './block-compressor.js'

/** deflate's window: what a block may refer back to in the block before it. */
export const WINDOW = 32 * 1024

/**
 * One raw-deflate engine that compresses block after block for a
 * {@link ParallelGzip}, each block as one pool job ended by a sync flush.
 *
 * Why one engine for many blocks instead of a fresh engine per block with the
 * previous block's tail as its `dictionary`: node:zlib calloc()s a new
 * engine's ~270 KB of deflate state (zeroing fresh pages: 0.25 - 0.4 ms of
 * the main thread per block, measured), keeps a copy of its dictionary in
 * C++ memory until the engine object is garbage-collected, and allocates its
 * output buffer when built, so that buffer outlives the job's young-generation
 * collections and waits in old space for a full one: per block, native
 * memory that only a full collection gives back (+10 to +30 MB peak RSS on
 * the memory bench). node:zlib cannot give a living engine a new
 * dictionary, so the lane *primes* itself instead: it deflates the previous
 * block's last 32 KiB, sync-flushed, and drops that output; deflate then
 * holds exactly that window, as a dictionary would, and the block's own
 * output (which starts on a byte, after the flush) refers back into it the
 * same way. The price is deflating 32 KiB more per block on the pool thread.
 *
 * The output is taken from `'data'` events: the engine is always flowing
 * and never paused, so node:zlib emits each output piece within the job's
 * completion, before that write's callback, which marks where a block's
 * output ends (checked: a block whose output is still buffered at that
 * point fails instead of being mixed up).
 *
 * @example
 * ```ts
 * const lane = new DeflateLane(6, 1024 * 1024)
 * lane.run(previousTail, block, (err, out) => {})
 * ```
 */
export class DeflateLane {
  readonly #engine: zlib.DeflateRaw
  /** The previous block's tail, copied: the pool thread reads it during the priming job. */
  readonly #window = Buffer.allocUnsafe(WINDOW)
  #out: Buffer[] | null = null
  #error: Error | null = null

  constructor (level: number, chunkSize: number) {
    this.#engine = zlib.createDeflateRaw({ level, chunkSize, flush: zlib.constants.Z_SYNC_FLUSH })
    // The deflate state is allocated now, on this thread: node:zlib would allocate it on the pool thread of the
    // first job, from that thread's malloc arena.
    this.#engine.reset()
    this.#engine.on('data', (piece: Buffer) => { this.#out?.push(piece) })
    this.#engine.on('error', (err: Error) => { this.#error ??= err })
  }

  /**
   * Compresses `block` as one sync-flushed piece of a raw deflate stream whose
   * window is `previous`'s last 32 KiB (a fresh stream when `previous` is
   * `undefined`); `done` gets the output pieces. One block at a time: the next
   * `run()` only after `done`. `block` must stay untouched until `done`;
   * `previous` is copied.
   */
  run (previous: Buffer | undefined, block: Buffer, done: BlockDone): void {
    const engine = this.#engine
    const out: Buffer[] = []
    if (previous === undefined || previous.length < WINDOW) {
      engine.reset()
      this.#out = out
    } else {
      previous.copy(this.#window, 0, previous.length - WINDOW)
      this.#out = null
      engine.write(this.#window, (err) => { if (err === null || err === undefined) this.#out = out })
    }
    engine.write(block, (err) => {
      this.#out = null
      if (err !== null && err !== undefined) done(this.#error ?? err)
      else if (engine.readableLength > 0) done(new Error(`deflate output still buffered (${engine.readableLength} bytes) when the block's write ended`))
      else done(null, out)
    })
  }

  /** Frees the engine; a job already on the pool ends there first. */
  close (): void {
    this.#engine.close()
  }
}
