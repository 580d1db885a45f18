import type { Compression } from '../stages/compress.js'
import type { ManifestOptions } from './manifest-options.js'

/**
 * How batched objects are cut (window, size limits) and encoded: the options
 * the batched sink (`batched: { ... }`) and `createS3Destination()` share.
 *
 * @example
 * ```ts
 * const shape: BatchObjectOptions = { windowMs: 10_000, maxRecords: 50_000, compression: 'zstd' }
 * const sink = createS3Sink({ type: 's3', bucket: 'logs', region: 'us-west-2', batched: shape })
 * const destination = createS3Destination({ bucket: 'logs', region: 'us-west-2', ...shape })
 * ```
 */
export interface BatchObjectOptions {
  /** Window length in ms: one object per window (per bucket and prefix for a destination). Default 60000. */
  windowMs?: number
  /** Close an object before its uncompressed NDJSON exceeds this many bytes; for a destination also the largest payload. Default 1 GiB. */
  maxBytes?: number
  /** Close an object once it holds this many records (payloads). Default: no limit. */
  maxRecords?: number
  /** NDJSON is coalesced into body chunks of about this many bytes (as `minuteWindow()`'s). Default 64 KiB. */
  chunkSize?: number
  /** `'gzip'` (default), `'zstd'` (Node >= 22.15) or `'none'`: as `compress()`. */
  compression?: Compression
  /** gzip 0 to 9 (default 6), zstd 1 to 19 (default 3). */
  level?: number
  /** gzip only: blocks compressed at once (parallel gzip). Default 1. */
  threads?: number
  /** `false`: `.gz`/`.zst` objects as `application/gzip`/`application/zstd` without Content-Encoding (see `s3Writable`). Default `true`. */
  encodingHeader?: boolean
  /** A manifest per window and partition (see `s3Writable()`): `true` or {@link ManifestOptions} (`{ keyTemplate, timeZone }`). */
  manifests?: boolean | ManifestOptions
}
