import type { S3Client } from '@aws-sdk/client-s3'
import type { Clock } from '../clock.js'
import { CONNECTION_FIELDS, type S3ConnectionOptions } from '../internal/s3-client.js'
import type { KeyTemplate } from '../key-template.js'
import type { BatchOptions } from './batch-options.js'
import type { SinkRoute } from './sink-route.js'
import type { UploadParams } from './upload-params.js'

/**
 * The S3 sink config as the Intuned Run and Job APIs document it, plus the
 * tuning fields of this package. Every field is checked; unknown ones are
 * errors, so a typo (`skipOnFailure`) never passes silently.
 *
 * @example
 * ```ts
 * const config: S3SinkConfig = { type: 's3', bucket: 'runs', region: 'us-west-2', accessKeyId, secretAccessKey, skipOnFail: true, batched: true }
 * await pipeline(runs, createS3Sink(config))
 * ```
 */
export interface S3SinkConfig extends S3ConnectionOptions {
  /** Must be `'s3'`. */
  type: 's3'
  /** Target bucket (required, or `bucketName`). */
  bucket?: string
  /** Alias of `bucket`, as in the sink documentation's own example. */
  bucketName?: string
  /** Key prefix; `runs` and `runs/` give the same keys. Default: none. */
  prefix?: string
  /** Drop failed Runs (`apiInfo.result.status === 'failed'`). Default `false`. */
  skipOnFail?: boolean
  /** Deliver only these APIs (`apiInfo.name`). Default: every API. */
  apisToSend?: readonly string[]
  /** Objects uploaded at once. Default 8 per Run, 2 batched. */
  concurrency?: number
  /** An S3 client of your own instead of the connection fields (which must then be absent). */
  client?: S3Client
  /** `true` or window options: minute-window NDJSON gzip objects instead of one object per Run. */
  batched?: boolean | BatchOptions
  /** Time source for fallback keys, windows and retry waits; tests inject a fake one. Default: the system clock. */
  clock?: Clock
  /** How long a failing request of an object is retried, in ms from its first failure. Default 900000 (15 minutes); see `s3Writable()`. */
  retryFor?: number
  /** Conditional writes (`If-None-Match: *`): an object already at the key counts as stored. Default `false`. */
  ifNoneMatch?: boolean
  /**
   * Extra parameters for every object (`StorageClass`, `ServerSideEncryption`,
   * `SSEKMSKeyId`, `Tagging`, `Metadata`, `ContentType`...), as `s3Writable()`'s
   * `params`. Default: none (`ContentType` is `application/json` per Run).
   */
  params?: UploadParams
  /**
   * Key template (see `keyTemplate()`). Batched: its record fields partition
   * the windows. Per Run: fields come from the Run, `{id}` is the runId
   * (sanitized) or random, `{ext}` is empty. Default: the documented keys.
   */
  keyTemplate?: string | KeyTemplate
  /** IANA time zone of `keyTemplate`'s date parts. Default `UTC`. */
  timeZone?: string
  /**
   * Routes in one sink: each Run goes to the first route whose `when` takes
   * it, each route with its own prefix, key template and batching (per Run
   * or windows, compression); all share one upload pool (`concurrency`) and
   * one backpressure. Not with `batched`, `keyTemplate` or `timeZone`, which
   * are set per route. A Run no route takes follows `unmatched`; end with a
   * route without `when` to catch the rest.
   */
  routes?: readonly SinkRoute[]
  /**
   * With `routes`, a Run no route takes: `'error'` (default) fails the sink
   * with `ERR_CALLBACK`; `'drop'` leaves it out, acknowledges it and emits
   * `'drop'` `{ record, reason: 'route' }`, as `route({ unmatched })` does.
   */
  unmatched?: 'error' | 'drop'
}

/** Every field of {@link S3SinkConfig}; `satisfies` makes tsc refuse a new field that is not listed here. */
export const SINK_CONFIG_FIELDS: readonly string[] = Object.keys({
  type: true, bucket: true, bucketName: true, prefix: true, skipOnFail: true, apisToSend: true, concurrency: true,
  client: true, batched: true, clock: true, retryFor: true, ifNoneMatch: true, params: true, keyTemplate: true, timeZone: true, routes: true, unmatched: true, ...Object.fromEntries(CONNECTION_FIELDS.map((f) => [f, true])) as Record<typeof CONNECTION_FIELDS[number], true>
} satisfies Record<keyof S3SinkConfig, true>)
