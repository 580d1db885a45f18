import * as zlib from 'node:zlib'
import { FINAL_BLOCK, gzipHeader, WINDOW } from './parallel-gzip.js'
import type { DeflateWorker } from './deflate-worker.js'
import { WorkerBlocks, type WorkerBlocksOptions } from './worker-blocks.js'

/** Settings of a {@link WorkerGzip}, checked by the stage that builds it. */
export type WorkerGzipOptions = WorkerBlocksOptions

/**
 * One standard gzip member whose blocks are deflated on worker threads
 * ({@link WorkerBlocks}), in the format of `ParallelGzip`: each block
 * raw-deflated with the previous block's last 32 KiB as its dictionary and
 * ended with a sync flush, an empty final block, one header, one trailer
 * with the CRC-32 and size of the whole input.
 *
 * @example
 * ```ts
 * pipeline(ndjsonBody, new WorkerGzip({ level: 6, blockSize: 1024 * 1024, blocksInFlight: 2, workers: 2 }), upload)
 * ```
 */
export class WorkerGzip extends WorkerBlocks {
  #dictionary: Uint8Array | undefined
  #crc = 0
  #size = 0

  protected override input (chunk: Buffer): void {
    this.#crc = zlib.crc32(chunk, this.#crc)
    this.#size += chunk.length
  }

  protected override send (worker: DeflateWorker, id: number, seq: number, block: Buffer): void {
    const dictionary = this.#dictionary
    // A copy: the block itself is handed over to the worker.
    this.#dictionary = block.length >= WINDOW ? new Uint8Array(block.subarray(block.length - WINDOW)) : undefined
    worker.deflate(id, seq, this.o.level, block, dictionary)
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
