import type { Compression } from '../stages/compress.js'

/** Window and compression options of the batched sink (`batched: { ... }`). */
export interface BatchOptions {
  /** Window length in ms. Default 60000 (one object per minute). */
  windowMs?: number
  /** Close an object before its uncompressed NDJSON exceeds this many bytes. Default 1 GiB. */
  maxBytes?: number
  /** Close an object once it holds this many records. Default: no limit. */
  maxRecords?: number
  /** `'gzip'` (default), `'zstd'` (Node >= 22.15) or `'none'`: as `compress()`. */
  compression?: Compression
  /** gzip 0 to 9 (default 6), zstd 1 to 19 (default 3). */
  level?: number
  /** gzip only: blocks compressed at once (parallel gzip). Default 1. */
  threads?: number
  /** `false`: `.gz`/`.zst` objects as `application/gzip`/`application/zstd` without Content-Encoding (see `s3Writable`). Default `true`. */
  encodingHeader?: boolean
  /** Windows by event time: the Run's time in ms (see `minuteWindow()`). Default: arrival time. */
  timeOf?: (record: unknown) => number
  /** With `timeOf`: how late a Run may be and still join its window. Default 0. */
  allowedLatenessMs?: number
  /** Most partitions (of the key template's record fields) open at once. Default 16. */
  maxOpenPartitions?: number
  /** A manifest per window and partition (see `s3Writable()`): `true` or `{ keyTemplate }`. */
  manifests?: boolean | { keyTemplate?: string }
  /**
   * Name each object after where its batch starts in the source (the first
   * Run's `sourcePosition`), so a replay writes the same keys (see
   * `keyRotate({ stableKeys })`). Turns `closeOnTime` off unless it is given.
   * Default `false`.
   */
  stableKeys?: boolean
  /** `false`: cut batches only by `maxRecords`/`maxBytes` and the end of the input, never on the window's timer. Default `true` (`false` with `stableKeys`). */
  closeOnTime?: boolean
}
