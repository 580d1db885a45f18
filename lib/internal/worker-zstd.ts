import * as zlib from 'node:zlib'
import type { DeflateWorker } from './deflate-worker.js'
import { WorkerBlocks } from './worker-blocks.js'

const api = zlib as unknown as { zstdCompressSync?: (data: Uint8Array, options: { params: Record<number, number> }) => Buffer, constants: Record<string, number | undefined> }

/**
 * zstd whose blocks are compressed on a worker thread ({@link WorkerBlocks}):
 * each block is one zstd frame, and a zstd stream may hold any number of
 * frames one after the other (`zstd -d`, node:zlib and every conforming
 * decoder read them as one body). A frame starts without the previous
 * block's history, which costs about 3% in size at 1 MiB blocks; what it buys
 * is an encoder that never waits for this thread between chunks.
 *
 * @example
 * ```ts
 * pipeline(ndjsonBody, new WorkerZstd({ level: 3, blockSize: 1024 * 1024, blocksInFlight: 2, workers: 1 }), upload)
 * ```
 */
export class WorkerZstd extends WorkerBlocks {
  protected override send (worker: DeflateWorker, id: number, seq: number, block: Buffer): void {
    worker.zstd(id, seq, this.o.level, block)
  }

  protected override tail (empty: boolean): Buffer {
    // An empty body is still one valid (empty) frame.
    const level = api.constants.ZSTD_c_compressionLevel as number
    return empty && api.zstdCompressSync !== undefined ? api.zstdCompressSync(Buffer.alloc(0), { params: { [level]: this.o.level } }) : Buffer.alloc(0)
  }
}
