import type { Transform } from 'node:stream'
import { createGzip } from 'node:zlib'
import { InvalidOptionError } from '../errors.js'
import { codedZlibErrors } from './coded-zlib-errors.js'
import { canGzipInParallel, ParallelGzip } from './parallel-gzip.js'
import { validateInteger, validateOneOf } from './validate.js'
import { requireZstd } from './zstd.js'
import { ZstdFrame } from './zstd-frame.js'

/**
 * How batch bodies are compressed.
 *
 * @example
 * ```ts
 * const compression: Compression = 'zstd' // Node >= 22.15; objects end in .zst
 * ```
 */
export type Compression = 'gzip' | 'zstd' | 'none'

export const COMPRESSIONS: readonly Compression[] = ['gzip', 'zstd', 'none']

/** Level ranges and defaults: zlib's 0-9 (6), zstd's 1-19 (3; 20-22 need a very large window). */
export const LEVELS = Object.freeze({ gzip: { min: 0, max: 9, default: 6 }, zstd: { min: 1, max: 19, default: 3 } })

/** The options every compressing entry point accepts. */
export interface CompressionOptions {
  /** `'gzip'` (default), `'zstd'` (Node >= 22.15) or `'none'`. */
  compression?: Compression
  /** gzip 0-9 (default 6), zstd 1-19 (default 3); not with `'none'`. */
  level?: number
  /**
   * gzip only: blocks compressed at once. 1 is one zlib stream on one pool
   * thread; more cuts the body into `blockSize` blocks compressed in parallel
   * on zlib's thread pool (one job per block) into one standard gzip member.
   * Default 1 (see `gzip()`).
   */
  threads?: number
  /** gzip with threads > 1, and zstd: input bytes per block, 64 KiB to 16 MiB. Default gzip 512 KiB, zstd 1 MiB (a gzip block starts without the previous one's history: 0.6% larger than one stream at 512 KiB, 0.3% at 1 MiB, 4% at 64 KiB, and the blocks in flight are what `threads` holds in memory; zstd keeps one frame's history across blocks, so its size does not depend on it). */
  blockSize?: number
  /** Output chunk size of the single-stream encoders, in bytes. Default 64 KiB. */
  chunkSize?: number
}

/** Checked compression settings. */
export interface CompressionSettings {
  compression: Compression
  level: number
  threads: number
  blockSize: number
  chunkSize: number
}

const KiB = 1024

/**
 * gzip's threads by default: one zlib stream, the lightest. With one pool
 * job per block on reused engines, `threads: 2` costs no worker thread and
 * no engine per block, but on the compiled library's memory bench it still
 * peaked 5 to 9 MB above one stream on 200 MiB and 2 to 14 MB on 2 GiB
 * (Node 20, bench/RESULTS.md round 10: the blocks in flight, and buffers awaiting GC):
 * memory is the default's side of that trade, and issue 12's budget is 120 MB.
 *
 * @example
 * ```ts
 * defaultThreads() // 1
 * ```
 */
export function defaultThreads (): number {
  return 1
}

/**
 * Validates the compression options of a factory, naming them under `name`
 * (`options.level`, `config.batched.level`), and fills in the defaults.
 *
 * @example
 * ```ts
 * const settings = resolveCompression({ compression: 'zstd', level: 6 }, 'options')
 * ```
 */
export function resolveCompression (options: CompressionOptions, name: string, fallback: Compression = 'gzip'): CompressionSettings {
  const compression = validateOneOf(options.compression, `${name}.compression`, COMPRESSIONS) ?? fallback
  if (compression === 'zstd') requireZstd(`${name}.compression`)
  const range = compression === 'none' ? null : LEVELS[compression]
  if (range === null && options.level !== undefined) throw new InvalidOptionError(`${name}.level`, 'cannot be given with compression "none"')
  const level = validateInteger(options.level, `${name}.level`, range?.min ?? 0, range?.max ?? 0) ?? range?.default ?? 0
  const threads = validateInteger(options.threads, `${name}.threads`, 1, 64)
  if (threads !== undefined && threads > 1 && compression !== 'gzip') {
    throw new InvalidOptionError(`${name}.threads`, `applies to gzip only; ${compression} uses one stream`)
  }
  if (threads !== undefined && threads > 1 && !canGzipInParallel()) {
    throw new InvalidOptionError(`${name}.threads`, `above 1 needs zlib.crc32 (Node >= 20.15); this is Node ${process.version}`)
  }
  return {
    compression,
    level,
    threads: threads ?? (compression === 'gzip' ? defaultThreads() : 1),
    // gzip: 512 KiB blocks peaked 5 to 10 MB below 1 MiB ones with threads: 2 (bench/RESULTS.md round 9), for 0.3% of size.
    blockSize: validateInteger(options.blockSize, `${name}.blockSize`, 64 * KiB, 16 * KiB * KiB) ?? (compression === 'zstd' ? 1024 : 512) * KiB,
    chunkSize: validateInteger(options.chunkSize, `${name}.chunkSize`, 64, 1 << 30) ?? 64 * KiB
  }
}

/**
 * A fresh encoder for one batch body, or `null` for `'none'`.
 *
 * @example
 * ```ts
 * const body = createCompressor(settings) // a Transform: raw NDJSON in, compressed bytes out
 * ```
 */
export function createCompressor (s: CompressionSettings): Transform | null {
  if (s.compression === 'none') return null
  // One pool job per block: node:zlib's streams wait for this thread between 64 KiB chunks.
  if (s.compression === 'zstd') return new ZstdFrame({ level: s.level, blockSize: s.blockSize })
  if (s.threads > 1) return new ParallelGzip({ level: s.level, blockSize: s.blockSize, blocksInFlight: s.threads })
  return codedZlibErrors(createGzip({ level: s.level, chunkSize: s.chunkSize }), 'gzip')
}
