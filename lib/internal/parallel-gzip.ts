import * as zlib from 'node:zlib'
import { BlockCompressor, type BlockCompressorOptions } from './block-compressor.js'
import type { BlockDone } from './block-done.js'
import { DeflateLane } from './deflate-lane.js'

/** Settings of a {@link ParallelGzip}, checked by the stage that builds it. */
export type ParallelGzipOptions = BlockCompressorOptions

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
 * raw by one job on zlib's thread pool, on one of a few reused engines
 * ({@link DeflateLane}, one per block in flight), and ended with a sync flush
 * (so the blocks end on a byte and simply follow each other); an empty final
 * block ends the stream. The blocks are written in input order between one
 * header and one trailer, whose CRC-32 and size cover the whole input; any
 * gzip reader sees a single ordinary member. Unlike pigz, a block gets no
 * dictionary (the previous block's last 32 KiB): node:zlib can give one only
 * to a new engine, or by a second job per block, and either cost more than
 * the 0.3 to 0.6% of size it saves at 1 MiB to 512 KiB blocks (bench/RESULTS.md, rounds 7-9).
 *
 * @example
 * ```ts
 * pipeline(ndjsonBody, new ParallelGzip({ level: 6, blockSize: 1024 * 1024, blocksInFlight: 2 }), upload)
 * ```
 */
export class ParallelGzip extends BlockCompressor {
  /** This body's lanes between two of its blocks. */
  readonly #lanes: DeflateLane[] = []
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
    const lane = this.#lanes.pop() ?? DeflateLane.take(this.o.level, worstCase(this.o.blockSize))
    lane.run(block, (err, out) => {
      if (err !== null || this.destroyed) lane.release()
      else this.#lanes.push(lane)
      done(err, out)
    })
  }

  override _destroy (err: Error | null, cb: (error: Error | null) => void): void {
    // Lanes still running a job are released when it ends (destroyed by then).
    for (const lane of this.#lanes.splice(0)) lane.release()
    super._destroy(err, cb)
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
