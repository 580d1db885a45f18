import * as zlib from 'node:zlib'
import { BlockCompressor, type BlockCompressorOptions, type BlockDone } from './block-compressor.js'
import { DeflateLane, WINDOW } from './deflate-lane.js'

export { WINDOW }

/** Settings of a {@link ParallelGzip}, checked by the stage that builds it. */
export interface ParallelGzipOptions extends BlockCompressorOptions {
  /** The engines' output buffer size. Default 64 KiB, as one zlib stream's: below glibc's mmap threshold (128 KiB). */
  chunkSize?: number
}

// mtime 0 (a batch has no file time), XFL set per level as zlib does, OS 255 (unknown).
/** The gzip header of a batch's member at `level`. */
export const gzipHeader = (level: number): Buffer => Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0, level === 9 ? 2 : level < 2 ? 4 : 0, 255])
/**
 * An empty final deflate block (BFINAL, fixed Huffman, end-of-block): every
 * block before it ends on a sync flush, so byte-aligned, and this closes the
 * stream without a deflate state of its own.
 */
export const FINAL_BLOCK = Buffer.from([0x03, 0x00])

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
 * input is cut into blocks ({@link BlockCompressor}), each block is deflated
 * raw by one job on zlib's thread pool with the previous block's last 32 KiB
 * as its window (so matches reach across the cut and the ratio stays that
 * of one stream) and ended with a sync flush (so the blocks end on a byte and
 * simply follow each other); an empty final block ends the stream. Each block
 * in flight has an engine of its own ({@link DeflateLane}), reused block
 * after block, so no deflate state is built per block. The blocks
 * are written in input order between one header and one trailer, whose
 * CRC-32 and size cover the whole input; any gzip reader sees a single
 * ordinary member.
 *
 * @example
 * ```ts
 * pipeline(ndjsonBody, new ParallelGzip({ level: 6, blockSize: 256 * 1024, blocksInFlight: 2 }), upload)
 * ```
 */
export class ParallelGzip extends BlockCompressor {
  /**
   * The last 32 KiB of the block sent last: the next block's window. A copy: a block's buffer is refilled once its
   * job ends, which can be before the next block is sent (the next block may even be filled into it).
   */
  readonly #tail = Buffer.allocUnsafe(WINDOW)
  #hasTail = false
  /** One engine per block in flight, reused block after block ({@link DeflateLane} says why). */
  readonly #idle: DeflateLane[] = []
  readonly #lanes = new Set<DeflateLane>()
  readonly #chunkSize: number
  #crc = 0
  #size = 0

  constructor (options: ParallelGzipOptions) {
    super(options)
    this.#chunkSize = options.chunkSize ?? 64 * 1024
  }

  protected override get codec (): string {
    return 'gzip'
  }

  protected override input (chunk: Buffer): void {
    this.#crc = zlib.crc32(chunk, this.#crc)
    this.#size += chunk.length
  }

  protected override compress (block: Buffer, done: BlockDone): void {
    let lane = this.#idle.pop()
    if (lane === undefined) {
      // A lane's outputs share one output buffer until it is full. 64 KiB, not a block's worth: buffers of 128 KiB and
      // more peaked 3 - 20 MB higher on the memory bench (each one outlives several blocks, waits in V8's old space for
      // a full collection, and comes from glibc's heap once a freed one has raised its mmap threshold).
      lane = new DeflateLane(this.o.level, this.#chunkSize)
      this.#lanes.add(lane)
    }
    const used = lane
    // The lane copies the window before this returns, so #tail can take this block's tail right after.
    used.run(this.#hasTail ? this.#tail : undefined, block, (err, out) => {
      if (err === null) this.#idle.push(used)
      else this.#drop(used)
      done(err, out)
    })
    this.#hasTail = block.length >= WINDOW
    if (this.#hasTail) block.copy(this.#tail, 0, block.length - WINDOW)
  }

  protected override release (): void {
    for (const lane of this.#lanes) lane.close()
    this.#lanes.clear()
    this.#idle.length = 0
  }

  #drop (lane: DeflateLane): void {
    lane.close()
    this.#lanes.delete(lane)
  }

  protected override head (): Buffer {
    return gzipHeader(this.o.level)
  }

  protected override tail (): Buffer {
    const trailer = Buffer.alloc(10)
    FINAL_BLOCK.copy(trailer, 0)
    trailer.writeUInt32LE(this.#crc >>> 0, 2)
    trailer.writeUInt32LE(this.#size % 2 ** 32, 6)
    return trailer
  }
}
