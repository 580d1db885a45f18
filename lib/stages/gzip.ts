import type { Transform } from 'node:stream'
import { resolveCompression } from '../internal/compression.js'
import { validateKnownKeys, validateObject } from '../internal/validate.js'
import { compressStage } from './compress.js'

/**
 * Options of {@link gzip}.
 *
 * @example
 * ```ts
 * const options: GzipOptions = { level: 9 }
 * await pipeline(source, minuteWindow(), gzip(options), s3Writable(cfg))
 * ```
 */
export interface GzipOptions {
  /** zlib compression level, 0 (none) to 9 (smallest). Default 6, zlib's own default. */
  level?: number
  /**
   * Blocks compressed at once. 1: one zlib stream, on one thread (wins on a
   * single core, and costs the same for a batch smaller than one block).
   * Above 1: the body is cut into `blockSize` blocks, each deflated by one
   * job on one of a few reused zlib engines on the thread pool, `threads`
   * at once, into one standard gzip member (pigz's layout without the
   * dictionaries; 0.6% larger than one stream at 512 KiB blocks; needs
   * `zlib.crc32`, Node >= 20.15). Use at most the cores free for it.
   * Default 1, for memory: the blocks in flight and buffers awaiting
   * collection cost 5 to 9 MB more peak RSS than one stream on a 200 MiB
   * feed, 2 to 14 MB on 2 GiB (bench/RESULTS.md, round 10); choose it where throughput matters
   * more than memory.
   */
  threads?: number
  /** With threads > 1: input bytes per block, 64 KiB to 16 MiB. Default 512 KiB (each block starts without the previous one's history: 0.6% larger than one stream at 512 KiB, 0.3% at 1 MiB, about 4% at 64 KiB). */
  blockSize?: number
  /** With threads = 1: zlib output chunk size in bytes. Default 64 KiB. */
  chunkSize?: number
}

const KNOWN = ['level', 'threads', 'blockSize', 'chunkSize']

/**
 * Compresses each batch into its own complete gzip stream, so every object
 * is a standalone `.gz` file. The batch is passed on at once with a
 * compressed `body`; compression runs as the body is read, on zlib's thread
 * pool, `threads` blocks at once with `threads` > 1. Same as
 * `compress({ compression: 'gzip', ... })`.
 *
 * @example
 * ```ts
 * await pipeline(source, minuteWindow(), gzip({ level: 1 }), s3Writable(cfg))
 * ```
 */
export function gzip (options: GzipOptions = {}): Transform {
  validateObject(options, 'options')
  validateKnownKeys(options ?? {}, 'options', KNOWN)
  return compressStage(resolveCompression({ ...options, compression: 'gzip' }, 'options'), 'gzip()')
}
