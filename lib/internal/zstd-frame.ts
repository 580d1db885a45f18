import { BlockCompressor, type BlockCompressorOptions } from './block-compressor.js'
import type { BlockDone } from './block-done.js'
import type { ZlibEngine } from './zlib-engine.js'
import { createZstd, emptyZstdFrame } from './zstd.js'

/** Settings of a {@link ZstdFrame}: one block in flight (a frame is one context), checked by the stage that builds it. */
export type ZstdFrameOptions = Omit<BlockCompressorOptions, 'blocksInFlight'>

/** zstd's worst case for `bytes` of input (ZSTD_COMPRESSBOUND). */
const worstCase = (bytes: number): number => bytes + (bytes >> 8) + 64 + (bytes < 131072 ? (131072 - bytes) >> 11 : 0)

/**
 * The end of a frame whose blocks were all flushed: an empty raw block with
 * the last-block bit (block header 1, size 0), what zstd itself writes when
 * a flushed frame ends. Frames here carry no content size and no checksum
 * (node:zlib's defaults), so nothing else follows.
 */
export const LAST_EMPTY_BLOCK = Buffer.from([0x01, 0x00, 0x00])

/**
 * A whole batch body as ONE zstd frame, compressed block by block, each block
 * by one job on zlib's thread pool: the body is cut into `blockSize` blocks
 * ({@link BlockCompressor}), each written whole into the body's one zstd
 * context with a flush (ZSTD_e_flush), so its output is complete when the job
 * ends and the next block keeps the frame's history; {@link LAST_EMPTY_BLOCK}
 * ends the frame without another job. One frame because common decoders read
 * only the first frame of several: node:zlib's own `zstdDecompress` (Node 22
 * to 26, nodejs/node#64741; it stops at a frame's end that does not fill its
 * output buffer) and python-zstandard's `decompress()` would have
 * returned a frame-per-block body's first block and nothing after it. One job
 * per block keeps what the frames were for: the encoder needs the busy main
 * thread once per block, not once per 64 KiB chunk as node:zlib's zstd
 * stream does. Needs Node >= 22.15 (the stage checks).
 *
 * @example
 * ```ts
 * pipeline(ndjsonBody, new ZstdFrame({ level: 3, blockSize: 1024 * 1024 }), upload)
 * ```
 */
export class ZstdFrame extends BlockCompressor {
  #engine: ZlibEngine | null = null
  #pieces: Buffer[] = []

  constructor (options: ZstdFrameOptions) {
    super({ ...options, blocksInFlight: 1 })
  }

  protected override get codec (): string {
    return 'zstd'
  }

  protected override compress (block: Buffer, done: BlockDone): void {
    const engine = this.#engine ??= this.#open()
    engine.write(block, (err) => {
      const pieces = this.#pieces
      this.#pieces = []
      // Output still buffered in the engine would belong to this block: its readable side is flowing, so it never is.
      if (err == null && engine.readableLength > 0) err = new Error('zstd output left in the engine after its job')
      done(err ?? null, pieces)
    })
  }

  override _destroy (err: Error | null, cb: (error: Error | null) => void): void {
    this.#close()
    super._destroy(err, cb)
  }

  protected override tail (empty: boolean): Buffer {
    this.#close()
    // An empty body is still one valid (empty) frame.
    return empty ? emptyZstdFrame(this.o.level) : LAST_EMPTY_BLOCK
  }

  #open (): ZlibEngine {
    // Room for a whole block's worst case: zlib never comes back through the main thread for more within a job.
    const engine = createZstd(this.o.level, worstCase(this.o.blockSize), true) as ZlibEngine
    // The pieces are views of the engine's output buffer, which it does not write over: it takes a new one when full.
    engine.on('data', (piece: Buffer) => { this.#pieces.push(piece) })
    engine.on('error', () => {}) // reported through the write's callback
    return engine
  }

  #close (): void {
    this.#engine?.close()
    this.#engine = null
  }
}
