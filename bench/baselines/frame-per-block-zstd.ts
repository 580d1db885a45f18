import * as zlib from 'node:zlib'
import type { Transform } from 'node:stream'
import { BlockCompressor, type BlockCompressorOptions } from '../../lib/internal/block-compressor.js'
import type { BlockDone } from '../../lib/internal/block-done.js'
import type { ZlibEngine } from '../../lib/internal/zlib-engine.js'
import { runBlockJob } from './run-block-job.js'

/** Settings of a {@link FramePerBlockZstd}, checked by the stage that builds it. */
export type FramePerBlockZstdOptions = BlockCompressorOptions

/** node:zlib's zstd, typed here: @types/node 20 does not know it. */
interface ZstdApi {
  createZstdCompress?: (options: { params: Record<number, number>, chunkSize?: number }) => Transform
  zstdCompressSync?: (data: Uint8Array, options: { params: Record<number, number> }) => Buffer
  constants: Record<string, number | undefined>
}
const api = zlib as unknown as ZstdApi

/** zstd's worst case for `bytes` of input (ZSTD_COMPRESSBOUND). */
const worstCase = (bytes: number): number => bytes + (bytes >> 8) + 64 + (bytes < 131072 ? (131072 - bytes) >> 11 : 0)

/**
 * zstd whose blocks are each compressed by one job on zlib's thread pool
 * ({@link BlockCompressor}): each block is one zstd frame, and a zstd stream
 * may hold any number of frames one after the other (`zstd -d`, node:zlib and
 * every conforming decoder read them as one body). A frame starts without the
 * previous block's history, which costs about 1% in size at 1 MiB blocks;
 * what it buys is an encoder that never waits for the main thread between
 * chunks. Needs Node >= 22.15 (the stage checks).
 *
 * @example
 * ```ts
 * pipeline(ndjsonBody, new FramePerBlockZstd({ level: 3, blockSize: 1024 * 1024, blocksInFlight: 2 }), upload)
 * ```
 */
export class FramePerBlockZstd extends BlockCompressor {
  /** Compressed bytes per input byte of the last block that ended. */
  #ratio = 0.25

  protected override get codec (): string {
    return 'zstd'
  }

  protected override compress (block: Buffer, done: BlockDone): void {
    const params = { [api.constants.ZSTD_c_compressionLevel as number]: this.o.level }
    const create = api.createZstdCompress as NonNullable<ZstdApi['createZstdCompress']>
    // No reset() here: on a zstd engine it also resets the parameters (the level), measured.
    // The output buffer: a quarter more than the last block's ratio predicts (so one job nearly always holds the whole
    // block), never more than the worst case. A worst-case buffer per block (~85% unused on NDJSON) was garbage outside
    // V8's heap awaiting each collection (+20 to +38 MB peak RSS, round 6).
    const room = Math.min(worstCase(block.length), Math.ceil(this.#ratio * block.length * 1.25) + 4096)
    runBlockJob(create({ params, chunkSize: room }) as ZlibEngine, block, (err, out) => {
      if (out !== undefined && block.length > 0) this.#ratio = (Array.isArray(out) ? out : [out]).reduce((n, piece) => n + piece.length, 0) / block.length
      done(err, out)
    })
  }

  protected override tail (empty: boolean): Buffer {
    // An empty body is still one valid (empty) frame.
    const level = api.constants.ZSTD_c_compressionLevel as number
    return empty && api.zstdCompressSync !== undefined ? api.zstdCompressSync(Buffer.alloc(0), { params: { [level]: this.o.level } }) : Buffer.alloc(0)
  }
}
