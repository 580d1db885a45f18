import type { S3Client } from '@aws-sdk/client-s3'
import type { Clock } from '../clock.js'
import type { S3ConnectionOptions } from '../internal/s3-client.js'
import type { KeyTemplate } from '../key-template.js'
import type { BatchOptions } from './batch-options.js'
import type { ManifestOptions } from './manifest-options.js'
import type { UploadParams } from './upload-params.js'

/**
 * Options of `s3Writable()`: the sink config's connection fields, or a
 * `client` of your own, plus upload tuning.
 *
 * @example
 * ```ts
 * const options: S3WritableOptions = { bucket: 'logs', region: 'us-west-2', prefix: 'runs/', partSize: 8 * 1024 * 1024 }
 * const sink = s3Writable(options)
 * ```
 */
export interface S3WritableOptions extends S3ConnectionOptions {
  /** Accepted for compatibility with the sink config; must be `'s3'` when given. */
  type?: 's3'
  /** Target bucket. */
  bucket?: string
  /** Alias of `bucket`, as in the sink config's own example. */
  bucketName?: string
  /** Key prefix for batches that no `keyRotate()` named. */
  prefix?: string
  /** An S3 client of your own; then no connection field may be given. */
  client?: S3Client
  /** Multipart part size in bytes, at least 5 MiB. Default 5 MiB. */
  partSize?: number
  /** Parts of one object uploaded in parallel. Default 4. */
  queueSize?: number
  /**
   * Objects uploaded at once; further batches wait (backpressure). Default 2.
   * A batch whose window is still writing it holds no slot until the window
   * ends it, so a window's open batches (the main one and its dead letters)
   * never wait for each other.
   */
  concurrency?: number
  /** When a part fails for good, how long other parts in flight may take before they are cancelled; on destroy, how long cancelled requests may take to settle. In ms, default 10000. */
  abortTimeout?: number
  /** Extra parameters for every object. */
  params?: UploadParams
  /** Key template for batches no `keyRotate()` named (see `keyTemplate()`). Default: the dated default key. */
  keyTemplate?: string | KeyTemplate
  /** IANA time zone of `keyTemplate`'s date parts. Default `UTC`. */
  timeZone?: string
  /**
   * Write a manifest per window (and partition) once every object of it is
   * complete: `true`, or {@link ManifestOptions} (`{ keyTemplate, timeZone }`)
   * for its key (dated by the window's start, in UTC unless
   * `manifests.timeZone` says otherwise). Default off.
   */
  manifests?: boolean | ManifestOptions
  /**
   * How a compressed object says so. `true` (default): `Content-Type` is the
   * NDJSON type and `Content-Encoding: gzip` (or `zstd`), so HTTP clients that
   * honor the header (browsers, `curl --compressed`, most HTTP libraries) hand
   * you the NDJSON. `false`: `Content-Type: application/gzip` (or
   * `application/zstd`) and no `Content-Encoding`, so every client saves the
   * bytes as stored, which is what a `.gz` file name promises.
   */
  encodingHeader?: boolean
  /**
   * The delivery deadline, in ms: a request of an object that fails in a
   * retriable way (5xx, throttling, timeouts, resets) is retried with backoff
   * until it succeeds or this long after its first failure.
   * Default 900000 (15 minutes); 0 turns this package's retries off.
   */
  retryFor?: number
  /**
   * Write only if the key is free: sends `If-None-Match: *` with PutObject
   * and CompleteMultipartUpload. An object already there (412) counts as
   * stored (its records' `onDurable` run). Needs a store with conditional
   * writes. Default `false`.
   */
  ifNoneMatch?: boolean
  /** Time source of the retry waits and deadline; tests inject a fake one. Default `systemClock`. */
  clock?: Clock
  /** Sink config field, accepted so the whole config can be passed; the filtering is `filterApis()`'s job, this stage sees batches. */
  skipOnFail?: boolean
  /** Sink config field, accepted so the whole config can be passed; the filtering is `filterApis()`'s job, this stage sees batches. */
  apisToSend?: readonly string[]
  /** Sink config field of `createS3Sink()`, accepted and ignored: here the windows are `minuteWindow()`'s. */
  batched?: boolean | BatchOptions
}
