import { Transform, type Readable, type TransformCallback } from 'node:stream'
import { CompressionFailedError } from '../errors.js'
import type { BlockDone } from './block-done.js'
import { BlockFill, type FilledBlock } from './block-fill.js'

/** Settings of a {@link BlockCompressor}, checked by the stage that builds it. */
export interface BlockCompressorOptions {
  /** The codec's level. */
  level: number
  /** Input bytes per block, at least 32 KiB. */
  blockSize: number
  /** Blocks compressing at once on zlib's thread pool; input waits beyond that. */
  blocksInFlight: number
}

/**
 * A compressor that cuts its input into blocks and has each block compressed
 * whole by ONE job on zlib's thread pool (an engine whose output buffer
 * holds the whole result), then writes the results in input
 * order between an optional head and a tail. One job per block is the point:
 * node:zlib's streams run one pool job per chunk and start the next only from
 * the main thread's event loop, so a busy main thread (serializing records)
 * left the pool idle between chunks; a block's job needs the main thread only
 * when it ends.
 *
 * Input becomes blocks through a {@link BlockFill}: the window's slabs in
 * place (no copy), other input copied into block buffers, `blocksInFlight
 * + 1` of them at most, each reused only after its job has ended (the pool
 * thread reads it until then), by this body or a later one, so a long body
 * allocates no buffer per block, nor a new body its own. Memory is bounded:
 * input waits while `blocksInFlight` blocks are compressing and one is full,
 * and no input is taken while the readable side holds its high-water mark
 * unread. A failed job fails the stream with a {@link CompressionFailedError}
 * (zlib's error as `cause`); nothing after the failed block is pushed.
 */
export abstract class BlockCompressor extends Transform {
  protected readonly o: BlockCompressorOptions
  readonly #fill: BlockFill
  #sent = 0
  #emitted = 0
  /** Compressed blocks that ended before an earlier one. */
  readonly #early = new Map<number, Buffer | Buffer[]>()
  #rest: Buffer | null = null
  #readerAsked = false
  #pushQueued = false
  #started = false
  /** Output pieces in order, pushed one at a time as the reader asks (pushed at once, a reader's read() concatenated them: a copy per block). */
  readonly #ready: Buffer[] = []
  #waiting: TransformCallback | null = null
  #ending: TransformCallback | null = null

  constructor (options: BlockCompressorOptions) {
    super()
    this.o = options
    this.#fill = new BlockFill(options.blockSize)
    this.once('pipe', (body: Readable) => { this.#fill.from(body) })
  }

  /** Sees every input chunk once, in order (gzip's CRC-32 and size). */
  protected input (_chunk: Buffer): void {}
  /** Starts block `block`'s one pool job. `block` must stay untouched until `done` (it is reused only after). */
  protected abstract compress (block: Buffer, done: BlockDone): void
  /** Bytes before the first block's output. */
  protected head (): Buffer | null { return null }
  /** Bytes after the last block's output; `empty` when no block was compressed. */
  protected abstract tail (empty: boolean): Buffer
  /** What the error of a failed block names: the codec. */
  protected abstract get codec (): string

  override _transform (chunk: Buffer, _encoding: BufferEncoding, cb: TransformCallback): void {
    this.input(chunk)
    this.#rest = chunk
    this.#waiting = cb
    this.#feed()
  }

  override _read (size: number): void {
    // Called before the reader takes its bytes off the buffer, and not again until something is pushed: the request
    // stands until then. read() takes all that is buffered when _read returns: a piece pushed now beside unread bytes
    // reached the reader concatenated with them (a 128 KiB copy per block), so it waits until they are taken.
    this.#readerAsked = true
    if (this.readableLength === 0) this.#pushReady()
    else if (!this.#pushQueued) {
      this.#pushQueued = true
      process.nextTick(() => {
        this.#pushQueued = false
        this.#pushReady()
        this.#finish()
      })
    }
    this.#feed()
    this.#finish()
    super._read(size)
  }

  override _flush (cb: TransformCallback): void {
    this.#ending = cb
    this.#finish()
  }

  override _destroy (err: Error | null, cb: (error: Error | null) => void): void {
    // A job already on the pool finishes there; its output is dropped (see #ended).
    this.#early.clear()
    this.#ready.length = 0
    this.#fill.release()
    this.#rest = null
    this.#waiting = null
    this.#ending = null
    cb(err)
  }

  /** Copies pending input into blocks while a block can be sent, then takes the next input once the reader has room. */
  #feed (): void {
    let rest = this.#rest
    while (rest !== null && rest.length > 0) {
      if (this.#fill.full && !this.#sendWhenFree()) break
      const n = this.#fill.take(rest)
      rest = n === rest.length ? null : rest.subarray(n)
    }
    this.#rest = rest
    if (this.#fill.full) this.#sendWhenFree()
    if (this.#waiting === null || (rest !== null && rest.length > 0)) return
    if (!this.#readerAsked && (this.#ready.length > 0 || this.readableLength >= this.readableHighWaterMark)) return
    const cb = this.#waiting
    this.#waiting = null
    this.#rest = null
    cb()
  }

  /** Starts the filled block's job if fewer than `blocksInFlight` are running; false when it must wait. */
  #sendWhenFree (): boolean {
    if (this.#sent - this.#emitted >= this.o.blocksInFlight) return false
    const seq = this.#sent++
    const block = this.#fill.hand()
    try {
      this.compress(block.bytes, (err, out) => { this.#ended(seq, block, err, out) })
    } catch (err) {
      // zlib refused the job before it started (e.g. settings it cannot use): the stream fails, not its writer's call.
      process.nextTick(() => { this.#ended(seq, block, err as Error, undefined) })
    }
    return true
  }

  #ended (seq: number, block: FilledBlock, err: Error | null, out: Buffer | Buffer[] | undefined): void {
    if (err === null) this.#fill.done(block, !this.destroyed)
    if (this.destroyed) return
    if (err !== null || out === undefined) {
      this.destroy(new CompressionFailedError(this.codec, seq, { cause: err }))
      return
    }
    this.#early.set(seq, out)
    let next = this.#early.get(this.#emitted)
    while (next !== undefined) {
      this.#early.delete(this.#emitted++)
      this.#emit(next)
      next = this.#early.get(this.#emitted)
    }
    this.#feed()
    this.#finish()
  }

  #emit (out: Buffer | Buffer[]): void {
    if (!this.#started) {
      this.#started = true
      const head = this.head()
      if (head !== null) this.#ready.push(head)
    }
    for (const piece of Array.isArray(out) ? out : [out]) if (piece.length > 0) this.#ready.push(piece)
    this.#pushReady()
  }

  /**
   * Pushes ready pieces while the reader has asked or the readable side is
   * below its high-water mark: a block ending while an earlier piece still
   * waits unread keeps its pieces here (pushed anyway, a reader's read() got
   * them concatenated: a copy).
   */
  #pushReady (): void {
    while (this.#ready.length > 0 && (this.#readerAsked || this.readableLength < this.readableHighWaterMark)) {
      this.#readerAsked = false
      if (!this.push(this.#ready.shift())) return
    }
  }

  /** Once flushing and every block is back: the tail. */
  #finish (): void {
    if (this.#ending === null) return
    if (this.#fill.used > 0 && !this.#sendWhenFree()) return
    if (this.#emitted < this.#sent) return
    if (!this.#started) this.#emit(Buffer.alloc(0))
    // The tail goes after the last piece: _read calls back here once the reader has taken them.
    if (this.#ready.length > 0) return
    const empty = this.#sent === 0
    this.#fill.release()
    const cb = this.#ending
    this.#ending = null
    cb(null, this.tail(empty))
  }
}
