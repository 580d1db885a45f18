import { Transform, type TransformCallback } from 'node:stream'
import * as zlib from 'node:zlib'

/** Settings of a {@link ParallelGzip}, checked by the stage that builds it. */
export interface ParallelGzipOptions {
  /** zlib level, 0 to 9. */
  level: number
  /** Input bytes per block, at least 32 KiB (the deflate window, so each block primes the next one fully). */
  blockSize: number
  /** Blocks compressing at once on zlib's thread pool; input waits beyond that. */
  blocksInFlight: number
}

/** deflate's window: what a block may refer back to in the block before it. */
const WINDOW = 32 * 1024
// mtime 0 (a batch has no file time), XFL set per level as zlib does, OS 255 (unknown).
const header = (level: number): Buffer => Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level === 9 ? 2 : level < 2 ? 4 : 0, 255])

interface Block {
  out: Buffer | null
}

/**
 * Tells whether this Node can run {@link ParallelGzip}: it needs
 * `zlib.crc32` (Node >= 20.15 / 22.2) for the trailer's checksum.
 *
 * @example
 * ```ts
 * const threads = canGzipInParallel() ? 2 : 1
 * ```
 */
export function canGzipInParallel (): boolean {
  return typeof (zlib as { crc32?: unknown }).crc32 === 'function'
}

/**
 * One standard gzip member made on several cores, the way pigz makes it: the
 * input is cut into blocks, each block is deflated raw on zlib's thread pool
 * with the previous block's last 32 KiB as its dictionary (so matches reach
 * across the cut and the ratio stays that of one stream) and ended with a sync
 * flush (so the blocks end on a byte and simply follow each other), the last
 * one with a final block. The blocks are written in input order between one
 * header and one trailer, whose CRC-32 and size cover the whole input; any
 * gzip reader sees a single ordinary member.
 *
 * Memory is bounded: at most `blocksInFlight` blocks are compressing (the
 * input callback waits for the oldest one beyond that), and no input is taken
 * while the compressed side holds its high-water mark unread.
 *
 * @example
 * ```ts
 * pipeline(ndjsonBody, new ParallelGzip({ level: 6, blockSize: 128 * 1024, blocksInFlight: 2 }), upload)
 * ```
 */
export class ParallelGzip extends Transform {
  readonly #o: ParallelGzipOptions
  readonly #held: Buffer[] = []
  #heldBytes = 0
  /** The last WINDOW bytes of input already handed to a block. */
  #dictionary: Buffer | undefined
  #crc = 0
  #size = 0
  readonly #queue: Block[] = []
  #started = false
  /** `_read` was called and nothing was pushed since. */
  #readerAsked = false
  /** The input callback, held while `blocksInFlight` blocks are compressing or the reader is behind. */
  #waiting: TransformCallback | null = null
  /** The flush callback, once the final block is queued. */
  #ending: TransformCallback | null = null

  constructor (options: ParallelGzipOptions) {
    super()
    this.#o = options
  }

  override _transform (chunk: Buffer, _encoding: BufferEncoding, cb: TransformCallback): void {
    this.#crc = zlib.crc32(chunk, this.#crc)
    this.#size += chunk.length
    this.#held.push(chunk)
    this.#heldBytes += chunk.length
    while (this.#heldBytes >= this.#o.blockSize) this.#submit(this.#take(this.#o.blockSize), false)
    this.#waiting = cb
    this.#wake()
  }

  override _read (size: number): void {
    // Called before the reader takes its bytes off the buffer, and not again
    // until something is pushed: the request stands until then.
    this.#readerAsked = true
    this.#wake()
    super._read(size)
  }

  override _flush (cb: TransformCallback): void {
    // Always a final block, even an empty one: it carries deflate's end marker.
    this.#submit(this.#take(this.#heldBytes), true)
    this.#ending = cb
  }

  override _destroy (err: Error | null, cb: (error: Error | null) => void): void {
    // Blocks still on the pool cannot be recalled; their results are dropped.
    this.#queue.length = 0
    this.#held.length = 0
    this.#waiting = null
    this.#ending = null
    cb(err)
  }

  /** The first `n` held bytes as one buffer (copied only when they span chunks). */
  #take (n: number): Buffer {
    const parts: Buffer[] = []
    let need = n
    while (need > 0) {
      const head = this.#held[0] as Buffer
      if (head.length <= need) {
        parts.push(head)
        this.#held.shift()
        need -= head.length
      } else {
        parts.push(head.subarray(0, need))
        this.#held[0] = head.subarray(need)
        need = 0
      }
    }
    this.#heldBytes -= n
    return parts.length === 1 ? parts[0] as Buffer : Buffer.concat(parts, n)
  }

  #submit (input: Buffer, last: boolean): void {
    const block: Block = { out: null }
    this.#queue.push(block)
    const dictionary = this.#dictionary
    // Blocks are at least WINDOW long, so the last WINDOW bytes of input are in this block.
    if (!last) this.#dictionary = input.subarray(input.length - WINDOW)
    const options: zlib.ZlibOptions = {
      level: this.#o.level,
      // One pool job per block: the output of a block fits one chunk.
      chunkSize: Math.max(64 * 1024, input.length + 1024),
      finishFlush: last ? zlib.constants.Z_FINISH : zlib.constants.Z_SYNC_FLUSH,
      ...(dictionary === undefined ? {} : { dictionary })
    }
    zlib.deflateRaw(input, options, (err, out) => {
      if (this.destroyed) return
      if (err !== null) {
        this.destroy(err)
        return
      }
      block.out = out
      this.#drain()
    })
  }

  /**
   * Takes the next input once a block slot is free and the reader has room:
   * Transform alone would let input in while blocks finish between writes.
   */
  #wake (): void {
    if (this.#waiting === null || this.#queue.length >= this.#o.blocksInFlight) return
    if (!this.#readerAsked && this.readableLength >= this.readableHighWaterMark) return
    const cb = this.#waiting
    this.#waiting = null
    cb()
  }

  /** Writes the finished blocks at the head of the queue, in order. */
  #drain (): void {
    while (this.#queue[0]?.out != null) {
      const block = this.#queue.shift() as Block
      if (!this.#started) {
        this.#started = true
        this.push(header(this.#o.level))
      }
      this.#readerAsked = false
      this.push(block.out)
    }
    this.#wake()
    if (this.#ending !== null && this.#queue.length === 0) {
      const trailer = Buffer.alloc(8)
      trailer.writeUInt32LE(this.#crc >>> 0, 0)
      trailer.writeUInt32LE(this.#size % 2 ** 32, 4)
      const cb = this.#ending
      this.#ending = null
      cb(null, trailer)
    }
  }
}
