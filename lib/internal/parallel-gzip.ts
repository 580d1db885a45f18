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
export const WINDOW = 32 * 1024
/** Output buffer of each block's deflate stream: sized like createGzip()'s, so output buffers are filled, not reserved. */
const OUT_CHUNK = 64 * 1024
// mtime 0 (a batch has no file time), XFL set per level as zlib does, OS 255 (unknown).
/** The gzip header of a batch's member at `level`. */
export const gzipHeader = (level: number): Buffer => Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level === 9 ? 2 : level < 2 ? 4 : 0, 255])
/**
 * An empty final deflate block (BFINAL, fixed Huffman, end-of-block): every
 * block before it ends on a sync flush, so byte-aligned, and this closes the
 * stream without a deflate state of its own.
 */
export const FINAL_BLOCK = Buffer.from([0x03, 0x00])

interface Block {
  readonly deflate: zlib.DeflateRaw
  /** Output held while an earlier block is still being written out. */
  readonly out: Buffer[]
  done: boolean
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
 * flush (so the blocks end on a byte and simply follow each other); an empty
 * final block ends the stream. The blocks are written in input order between
 * one header and one trailer, whose CRC-32 and size cover the whole input; any
 * gzip reader sees a single ordinary member.
 *
 * Input chunks go into their block's deflate stream as they come (no copy
 * into one block buffer: a copy per block made the garbage collector run
 * several times more often), so a block compresses while it fills, and the
 * oldest block's output is passed on as it is made.
 *
 * Memory is bounded: at most `blocksInFlight` blocks exist at once (the
 * input callback waits for the oldest one beyond that), and no input is taken
 * while the compressed side holds its high-water mark unread.
 *
 * @example
 * ```ts
 * pipeline(ndjsonBody, new ParallelGzip({ level: 6, blockSize: 1024 * 1024, blocksInFlight: 2 }), upload)
 * ```
 */
export class ParallelGzip extends Transform {
  readonly #o: ParallelGzipOptions
  /** Blocks in input order: the first one's output is pushed as it comes, the others' is held. */
  readonly #queue: Block[] = []
  /** The block taking input (the last of the queue), or null between blocks. */
  #current: Block | null = null
  #currentBytes = 0
  /** The current block's last input chunks, at least WINDOW bytes once it has that many: the next block's dictionary. */
  #tail: Buffer[] = []
  #tailBytes = 0
  #dictionary: Buffer | undefined
  /** Input of the pending write not yet given to a block (it waits for a free block slot). */
  #rest: Buffer | null = null
  #crc = 0
  #size = 0
  #started = false
  /** `_read` was called and nothing was pushed since. */
  #readerAsked = false
  /** The input callback, held while its chunk waits for a block slot or the reader is behind. */
  #waiting: TransformCallback | null = null
  /** The flush callback, once the last block is ended. */
  #ending: TransformCallback | null = null

  constructor (options: ParallelGzipOptions) {
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
    // Called before the reader takes its bytes off the buffer, and not again
    // until something is pushed: the request stands until then.
    this.#readerAsked = true
    this.#feed()
    super._read(size)
  }

  override _flush (cb: TransformCallback): void {
    if (this.#current !== null) this.#endBlock()
    this.#ending = cb
    this.#drain()
  }

  override _destroy (err: Error | null, cb: (error: Error | null) => void): void {
    // A deflate job already on the pool finishes there; its output is dropped.
    for (const block of this.#queue) block.deflate.destroy()
    this.#queue.length = 0
    this.#current = null
    this.#tail = []
    this.#rest = null
    this.#waiting = null
    this.#ending = null
    cb(err)
  }

  /** Hands the pending input to blocks while a block slot is free, then takes the next input once the reader has room. */
  #feed (): void {
    let rest = this.#rest
    while (rest !== null && rest.length > 0) {
      if (this.#current === null) {
        if (this.#queue.length >= this.#o.blocksInFlight) break
        this.#current = this.#startBlock()
      }
      const room = this.#o.blockSize - this.#currentBytes
      const part = rest.length <= room ? rest : rest.subarray(0, room)
      rest = part === rest ? null : rest.subarray(room)
      this.#current.deflate.write(part)
      this.#currentBytes += part.length
      this.#keepTail(part)
      if (this.#currentBytes === this.#o.blockSize) this.#endBlock()
    }
    this.#rest = rest
    if (this.#waiting === null || (rest !== null && rest.length > 0)) return
    if (!this.#readerAsked && this.readableLength >= this.readableHighWaterMark) return
    const cb = this.#waiting
    this.#waiting = null
    this.#rest = null
    cb()
  }

  #startBlock (): Block {
    const deflate = zlib.createDeflateRaw({
      level: this.#o.level,
      chunkSize: OUT_CHUNK,
      // Every block ends byte-aligned; FINAL_BLOCK ends the stream.
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      ...(this.#dictionary === undefined ? {} : { dictionary: this.#dictionary })
    })
    const block: Block = { deflate, out: [], done: false }
    deflate.on('data', (out: Buffer) => {
      if (this.destroyed) return
      if (this.#queue[0] === block) this.#emit(out)
      else block.out.push(out)
    })
    deflate.once('end', () => {
      block.done = true
      if (!this.destroyed) this.#drain()
    })
    deflate.once('error', (err) => { this.destroy(err) })
    this.#queue.push(block)
    this.#currentBytes = 0
    return block
  }

  /** Ends the block taking input; its last WINDOW bytes prime the next one. */
  #endBlock (): void {
    const block = this.#current as Block
    this.#current = null
    block.deflate.end()
    if (this.#tailBytes >= WINDOW) {
      const tail = this.#tail.length === 1 ? this.#tail[0] as Buffer : Buffer.concat(this.#tail, this.#tailBytes)
      // A copy: the dictionary must not keep a whole input chunk alive.
      this.#dictionary = Buffer.from(tail.subarray(tail.length - WINDOW))
    }
    this.#tail = []
    this.#tailBytes = 0
  }

  #keepTail (part: Buffer): void {
    this.#tail.push(part)
    this.#tailBytes += part.length
    while (this.#tailBytes - (this.#tail[0] as Buffer).length >= WINDOW) this.#tailBytes -= (this.#tail.shift() as Buffer).length
  }

  #emit (out: Buffer): void {
    if (!this.#started) {
      this.#started = true
      this.push(gzipHeader(this.#o.level))
    }
    this.#readerAsked = false
    this.push(out)
  }

  /** Passes on the blocks finished at the head of the queue, and the held output of the next one. */
  #drain (): void {
    while (this.#queue[0]?.done === true) {
      this.#queue.shift()
      const next = this.#queue[0]
      if (next !== undefined) {
        for (const out of next.out) this.#emit(out)
        next.out.length = 0
      }
    }
    this.#feed()
    if (this.#ending !== null && this.#queue.length === 0) {
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
}
