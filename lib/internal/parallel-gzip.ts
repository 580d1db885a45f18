import * as zlib from 'node:zlib'
import { BlockCompressor, runBlockJob, type BlockCompressorOptions, type BlockDone } from './block-compressor.js'

/** Settings of a {@link ParallelGzip}, checked by the stage that builds it. */
export type ParallelGzipOptions = BlockCompressorOptions

/** deflate's window: what a block may refer back to in the block before it. */
export const WINDOW = 32 * 1024
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

/** deflate's worst case for `bytes` of input: stored blocks, 5 bytes per 16 KiB, and the sync flush's marker. */
const worstCase = (bytes: number): number => bytes + 5 * Math.ceil(bytes / 16384) + 64

/**
 * One standard gzip member made on several cores, the way pigz makes it: the
 * input is cut into blocks ({@link BlockCompressor}), each block is deflated
 * raw by one job on zlib's thread pool with the previous block's last 32 KiB
 * as its dictionary (so matches reach across the cut and the ratio stays that
 * of one stream) and ended with a sync flush (so the blocks end on a byte and
 * simply follow each other); an empty final block ends the stream. The blocks
 * are written in input order between one header and one trailer, whose
 * CRC-32 and size cover the whole input; any gzip reader sees a single
 * ordinary member.
 *
 * @example
 * ```ts
 * pipeline(ndjsonBody, new ParallelGzip({ level: 6, blockSize: 1024 * 1024, blocksInFlight: 2 }), upload)
 * ```
 */
export class ParallelGzip extends BlockCompressor {
  #dictionary: Buffer | undefined
  #crc = 0
  #size = 0

  protected override get codec (): string {
    return 'gzip'
  }

  protected override input (chunk: Buffer): void {
    this.#crc = zlib.crc32(chunk, this.#crc)
    this.#size += chunk.length
  }

  protected override compress (block: Buffer, done: BlockDone): void {
    const dictionary = this.#dictionary
    // A copy: the block's buffer is refilled once its job ends, possibly before the next block's job starts.
    this.#dictionary = block.length >= WINDOW ? Buffer.from(block.subarray(block.length - WINDOW)) : undefined
    const engine = zlib.createDeflateRaw({
      level: this.o.level,
      chunkSize: this.outputRoom(block.length, worstCase(block.length)),
      // Every block ends byte-aligned; FINAL_BLOCK ends the stream.
      finishFlush: zlib.constants.Z_SYNC_FLUSH,
      ...(dictionary === undefined ? {} : { dictionary })
    })
    // The deflate state (~300 KB) is allocated now, on this thread: node:zlib would initialize it on the pool thread of
    // the first job, and each block's state then came from one of the pool threads' malloc arenas (~15 MB more peak RSS,
    // measured against MALLOC_ARENA_MAX=1). reset() keeps the dictionary (node:zlib sets it again).
    engine.reset()
    runBlockJob(engine, block, done)
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
