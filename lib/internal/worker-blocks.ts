import { Transform, type TransformCallback } from 'node:stream'
import { deflateWorker, type DeflateWorker } from './deflate-worker.js'

/** Settings of a {@link WorkerBlocks} encoder, checked by the stage that builds it. */
export interface WorkerBlocksOptions {
  /** The codec's level. */
  level: number
  /** Input bytes per block, at least 32 KiB. */
  blockSize: number
  /** Blocks at the workers at once; input waits beyond that. */
  blocksInFlight: number
  /** Worker threads the blocks are spread over (block n goes to worker n mod workers). */
  workers: number
}

/**
 * A compressor that cuts its input into blocks, has each block compressed
 * whole on a worker thread ({@link DeflateWorker}) and writes the results in
 * order. What a block becomes (raw deflate with a dictionary, a zstd frame)
 * and what frames the whole (a gzip header and trailer, nothing) is the
 * subclass's.
 *
 * The point is who waits for whom. node:zlib on this thread compresses on
 * libuv's pool, but each chunk's completion, and so the start of the next
 * chunk, waits until this thread is free, and in a pipeline it is busy
 * serializing records: both sides stall each other. A worker compresses a
 * whole block synchronously on its own thread while this one copies the
 * next block together; they meet once per block (1 MiB) instead of once per
 * 64 KiB chunk.
 *
 * Memory is bounded: one block filling plus at most `blocksInFlight`
 * blocks at the workers; input waits beyond that, and while the output side
 * holds its high-water mark unread.
 *
 * @example
 * ```ts
 * class Stored extends WorkerBlocks { protected send (w, id, seq, block) { w.store(id, seq, block) } }
 * ```
 */
export abstract class WorkerBlocks extends Transform {
  protected readonly o: WorkerBlocksOptions
  /** Per worker used: the worker and this stream's receiver id on it. */
  readonly #links: Array<{ worker: DeflateWorker, id: number }> = []
  #block: Buffer | null = null
  #used = 0
  #sent = 0
  #emitted = 0
  /** Compressed blocks that came back before an earlier one. */
  readonly #early = new Map<number, Buffer>()
  #rest: Buffer | null = null
  #readerAsked = false
  #started = false
  #waiting: TransformCallback | null = null
  #ending: TransformCallback | null = null

  constructor (options: WorkerBlocksOptions) {
    super()
    this.o = options
  }

  /** Sees every input chunk once, in order (gzip's CRC-32 and size). */
  protected input (_chunk: Buffer): void {}
  /** Hands block `seq` to `worker` (its buffer is transferred: unusable here afterwards). */
  protected abstract send (worker: DeflateWorker, id: number, seq: number, block: Buffer): void
  /** Bytes before the first block's output. */
  protected head (): Buffer | null { return null }
  /** Bytes after the last block's output; `empty` when no block was sent. */
  protected abstract tail (empty: boolean): Buffer

  override _transform (chunk: Buffer, _encoding: BufferEncoding, cb: TransformCallback): void {
    this.input(chunk)
    this.#rest = chunk
    this.#waiting = cb
    this.#feed()
  }

  override _read (size: number): void {
    this.#readerAsked = true
    this.#feed()
    super._read(size)
  }

  override _flush (cb: TransformCallback): void {
    this.#ending = cb
    this.#finish()
  }

  override _destroy (err: Error | null, cb: (error: Error | null) => void): void {
    // A block already at a worker is compressed there; its answer is dropped.
    for (const { worker, id } of this.#links) worker.forget(id)
    this.#links.length = 0
    this.#early.clear()
    this.#block = null
    this.#rest = null
    this.#waiting = null
    this.#ending = null
    cb(err)
  }

  /** Copies pending input into blocks while a block can be sent, then takes the next input once the reader has room. */
  #feed (): void {
    let rest = this.#rest
    while (rest !== null && rest.length > 0) {
      if (this.#used === this.o.blockSize && !this.#sendWhenFree()) break
      const block = this.#block ??= Buffer.allocUnsafe(this.o.blockSize)
      const n = rest.copy(block, this.#used)
      this.#used += n
      rest = n === rest.length ? null : rest.subarray(n)
    }
    this.#rest = rest
    if (this.#used === this.o.blockSize) this.#sendWhenFree()
    if (this.#waiting === null || (rest !== null && rest.length > 0)) return
    if (!this.#readerAsked && this.readableLength >= this.readableHighWaterMark) return
    const cb = this.#waiting
    this.#waiting = null
    this.#rest = null
    cb()
  }

  /** Sends the filled block to its worker if fewer than `blocksInFlight` are out; false when it must wait. */
  #sendWhenFree (): boolean {
    if (this.#sent - this.#emitted >= this.o.blocksInFlight) return false
    const block = this.#block as Buffer
    const link = this.#link(this.#sent % this.o.workers)
    this.send(link.worker, link.id, this.#sent++, this.#used === block.length ? block : block.subarray(0, this.#used))
    this.#block = null
    this.#used = 0
    return true
  }

  #link (index: number): { worker: DeflateWorker, id: number } {
    const known = this.#links[index]
    if (known !== undefined) return known
    const worker = deflateWorker(index)
    if (worker === null) throw new Error('no compression worker thread could be started')
    const id = worker.register({
      block: (seq, out) => { this.#received(seq, out) },
      error: (err) => { this.destroy(err) }
    })
    const link = { worker, id }
    this.#links[index] = link
    return link
  }

  #received (seq: number, out: Buffer): void {
    if (this.destroyed) return
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

  #emit (out: Buffer): void {
    if (!this.#started) {
      this.#started = true
      const head = this.head()
      if (head !== null) this.push(head)
    }
    this.#readerAsked = false
    if (out.length > 0) this.push(out)
  }

  /** Once flushing and every block is back: the tail. */
  #finish (): void {
    if (this.#ending === null) return
    if (this.#used > 0 && !this.#sendWhenFree()) return
    if (this.#emitted < this.#sent) return
    for (const { worker, id } of this.#links) worker.forget(id)
    const empty = this.#sent === 0
    if (!this.#started) this.#emit(Buffer.alloc(0))
    const cb = this.#ending
    this.#ending = null
    cb(null, this.tail(empty))
  }
}
