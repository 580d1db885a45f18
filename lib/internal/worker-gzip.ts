import { Transform, type TransformCallback } from 'node:stream'
import * as zlib from 'node:zlib'
import { FINAL_BLOCK, gzipHeader, WINDOW } from './parallel-gzip.js'
import { deflateWorker, type DeflateWorker } from './deflate-worker.js'

/** Settings of a {@link WorkerGzip}, checked by the stage that builds it. */
export interface WorkerGzipOptions {
  /** zlib level, 0 to 9. */
  level: number
  /** Input bytes per block, at least 32 KiB. */
  blockSize: number
  /** Blocks at the workers at once; input waits beyond that. */
  blocksInFlight: number
  /** Worker threads the blocks are spread over (block n goes to worker n mod workers). */
  workers: number
}

/**
 * One standard gzip member whose blocks are deflated on worker threads
 * ({@link DeflateWorker}), in the format of `ParallelGzip`: each block
 * raw-deflated with the previous block's last 32 KiB as its dictionary and
 * ended with a sync flush, an empty final block, one header, one trailer
 * with the CRC-32 and size of the whole input.
 *
 * The point is who waits for whom. node:zlib on this thread deflates on
 * libuv's pool, but each chunk's completion, and so the start of the next
 * chunk, waits until this thread is free, and in a pipeline it is busy
 * serializing records: both sides stall each other. A worker deflates a
 * whole block synchronously on its own thread while this one copies the
 * next block together; they meet once per block (1 MiB) instead of once per
 * 64 KiB chunk.
 *
 * Memory is bounded: one block filling plus at most `blocksInFlight`
 * blocks at the workers; input waits beyond that, and while the output side holds its
 * high-water mark unread.
 *
 * @example
 * ```ts
 * pipeline(ndjsonBody, new WorkerGzip({ level: 6, blockSize: 1024 * 1024, blocksInFlight: 2, workers: 2 }), upload)
 * ```
 */
export class WorkerGzip extends Transform {
  readonly #o: WorkerGzipOptions
  /** Per worker used: the worker and this stream's receiver id on it. */
  readonly #links: Array<{ worker: DeflateWorker, id: number }> = []
  #block: Buffer | null = null
  #used = 0
  #dictionary: Uint8Array | undefined
  #sent = 0
  #emitted = 0
  /** Compressed blocks that came back before an earlier one. */
  readonly #early = new Map<number, Buffer>()
  #rest: Buffer | null = null
  #crc = 0
  #size = 0
  #readerAsked = false
  #started = false
  #waiting: TransformCallback | null = null
  #ending: TransformCallback | null = null

  constructor (options: WorkerGzipOptions) {
    super()
    this.#o = options
  }

  override _transform (chunk: Buffer, _encoding: BufferEncoding, cb: TransformCallback): void {
    this.#crc = zlib.crc32(chunk, this.#crc)
    this.#size += chunk.length
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
    // A block already at a worker is deflated there; its answer is dropped.
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
      if (this.#used === this.#o.blockSize && !this.#sendWhenFree()) break
      const block = this.#block ??= Buffer.allocUnsafe(this.#o.blockSize)
      const n = rest.copy(block, this.#used)
      this.#used += n
      rest = n === rest.length ? null : rest.subarray(n)
    }
    this.#rest = rest
    if (this.#used === this.#o.blockSize) this.#sendWhenFree()
    if (this.#waiting === null || (rest !== null && rest.length > 0)) return
    if (!this.#readerAsked && this.readableLength >= this.readableHighWaterMark) return
    const cb = this.#waiting
    this.#waiting = null
    this.#rest = null
    cb()
  }

  /** Sends the filled block to its worker if fewer than `workers` are out; false when it must wait. */
  #sendWhenFree (): boolean {
    if (this.#sent - this.#emitted >= this.#o.blocksInFlight) return false
    const block = this.#block as Buffer
    const data = this.#used === block.length ? block : block.subarray(0, this.#used)
    const dictionary = this.#dictionary
    // A copy: the block itself is handed over to the worker.
    this.#dictionary = data.length >= WINDOW ? new Uint8Array(data.subarray(data.length - WINDOW)) : undefined
    const link = this.#link(this.#sent % this.#o.workers)
    link.worker.deflate(link.id, this.#sent++, this.#o.level, data, dictionary)
    this.#block = null
    this.#used = 0
    return true
  }

  #link (index: number): { worker: DeflateWorker, id: number } {
    const known = this.#links[index]
    if (known !== undefined) return known
    const worker = deflateWorker(index)
    if (worker === null) throw new Error('no deflate worker thread could be started')
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
      this.push(gzipHeader(this.#o.level))
    }
    this.#readerAsked = false
    this.push(out)
  }

  /** Once flushing and every block is back: the final empty block and the trailer. */
  #finish (): void {
    if (this.#ending === null) return
    if (this.#used > 0 && !this.#sendWhenFree()) return
    if (this.#emitted < this.#sent) return
    for (const { worker, id } of this.#links) worker.forget(id)
    if (!this.#started) this.#emit(Buffer.alloc(0))
    const trailer = Buffer.alloc(10)
    FINAL_BLOCK.copy(trailer, 0)
    trailer.writeUInt32LE(this.#crc >>> 0, 2)
    trailer.writeUInt32LE(this.#size % 2 ** 32, 6)
    const cb = this.#ending
    this.#ending = null
    cb(null, trailer)
  }
}
