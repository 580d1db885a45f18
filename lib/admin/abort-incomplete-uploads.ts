import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, type S3Client } from '@aws-sdk/client-s3'
import { InvalidOptionError, ListUploadsError, toError } from '../errors.js'
import { normalizePrefix } from '../internal/object-key.js'
import { redact } from '../internal/redact.js'
import { CONNECTION_FIELDS, createS3Client, type S3ConnectionOptions } from '../internal/s3-client.js'
import type { AbortedUpload, AbortIncompleteUploadsResult } from './abort-incomplete-uploads-result.js'
import { typeName, validateBoolean, validateInteger, validateKnownKeys, validateObject, validateBucket } from '../internal/validate.js'

// Its error lives with the others, its result types apart (the error holds one); exported from here as before.
export { ListUploadsError } from '../errors.js'
export type { AbortedUpload, AbortIncompleteUploadsResult, FailedAbort } from './abort-incomplete-uploads-result.js'

/**
 * Options of {@link abortIncompleteUploads}: the connection fields of the
 * sink config (or a `client` of your own), the bucket and prefix to clean,
 * and how old an upload must be to count as abandoned.
 *
 * @example
 * ```ts
 * const options: AbortIncompleteUploadsOptions = { bucket: 'logs', region: 'us-west-2', olderThan: 24 * 3600_000, dryRun: true }
 * const { aborted } = await abortIncompleteUploads(options)
 * ```
 */
export interface AbortIncompleteUploadsOptions extends S3ConnectionOptions {
  /** Accepted so a sink config can be passed as is; must be `'s3'` when given. */
  type?: 's3'
  /** Bucket to clean. */
  bucket?: string
  /** Alias of `bucket`, as in the sink config. */
  bucketName?: string
  /** An S3 client of your own; then no connection field may be given. */
  client?: S3Client
  /** Only uploads under this key prefix; normalized like the sinks' (`logs` → `logs/`). Default: the whole bucket. */
  prefix?: string
  /**
   * Abort uploads initiated before this: an age in ms (`now - olderThan`), or
   * a `Date` not in the future (`ERR_INVALID_OPTION`). Required. Uploads
   * still in progress are aborted too if they are older, so choose more than
   * the longest upload you run (a day is usual); `0` aborts every upload
   * started until now.
   */
  olderThan: number | Date
  /** Aborts sent at once. Default 4. */
  concurrency?: number
  /** List what would be aborted without aborting anything. Default `false`. */
  dryRun?: boolean
  /** Sink-config fields that do not concern cleanup; accepted and ignored. */
  apisToSend?: unknown
  skipOnFail?: unknown
  batched?: unknown
  clock?: unknown
}

const DEFAULTS = Object.freeze({ concurrency: 4, dryRun: false })
const OWN_FIELDS = ['type', 'bucket', 'bucketName', 'client', 'prefix', 'olderThan', 'concurrency', 'dryRun'] as const
const IGNORED_FIELDS = ['apisToSend', 'skipOnFail', 'batched', 'clock'] as const

/**
 * Aborts the multipart uploads left behind under a prefix: those initiated
 * more than `olderThan` ago. An upload whose process died, or whose abort
 * failed (a network cut, a missing `s3:AbortMultipartUpload` permission),
 * keeps its parts stored, and billed, until it is aborted. Run this
 * periodically, or use a bucket lifecycle rule (`AbortIncompleteMultipartUpload`).
 *
 * Lists with ListMultipartUploads page by page and aborts as it goes. A failing
 * abort is reported in `failed`, not thrown; an upload already gone
 * (`NoSuchUpload`) counts as aborted. A failing listing rejects with
 * `ERR_S3_LIST_UPLOADS`. Needs `s3:ListBucketMultipartUploads` and
 * `s3:AbortMultipartUpload`.
 *
 * @example
 * ```ts
 * const { aborted, failed } = await abortIncompleteUploads({ ...sinkConfig, olderThan: 24 * 60 * 60 * 1000 })
 * for (const { key, error } of failed) console.error('could not abort', key, error.message)
 * ```
 */
export async function abortIncompleteUploads (options: AbortIncompleteUploadsOptions): Promise<AbortIncompleteUploadsResult> {
  const s = settings(options)
  const result: AbortIncompleteUploadsResult = { aborted: [], failed: [] }
  try {
    let KeyMarker: string | undefined
    let UploadIdMarker: string | undefined
    for (;;) {
      let page
      try {
        page = await s.client.send(new ListMultipartUploadsCommand({ Bucket: s.bucket, Prefix: s.prefix === '' ? undefined : s.prefix, KeyMarker, UploadIdMarker }))
      } catch (err) {
        throw new ListUploadsError(s.bucket, s.prefix, redact(err), result)
      }
      const due: AbortedUpload[] = []
      for (const { Key: key, UploadId: uploadId, Initiated: initiated } of page.Uploads ?? []) {
        // Without a start time an upload's age is unknown: never abort it.
        if (key !== undefined && uploadId !== undefined && initiated instanceof Date && initiated.getTime() < s.cutoff) due.push({ key, uploadId, initiated })
      }
      const errors = await inBatches(due, s.concurrency, async (upload) => s.dryRun ? undefined : await abortOne(s.client, s.bucket, upload))
      due.forEach((upload, i) => {
        const error = errors[i]
        if (error === undefined) result.aborted.push(upload)
        else result.failed.push({ ...upload, error })
      })
      if (page.IsTruncated !== true) return result
      if (page.NextKeyMarker === KeyMarker && page.NextUploadIdMarker === UploadIdMarker) {
        // A truncated page that does not move the markers would list forever.
        throw new ListUploadsError(s.bucket, s.prefix, new Error('a truncated listing gave no next marker'), result)
      }
      KeyMarker = page.NextKeyMarker
      UploadIdMarker = page.NextUploadIdMarker
    }
  } finally {
    if (s.ownClient) s.client.destroy()
  }
}

interface Settings {
  client: S3Client
  ownClient: boolean
  bucket: string
  prefix: string
  cutoff: number
  concurrency: number
  dryRun: boolean
}

function settings (options: AbortIncompleteUploadsOptions): Settings {
  validateObject(options, 'options')
  if (options === undefined) throw new InvalidOptionError('options', 'is required (at least bucket and olderThan)')
  validateKnownKeys(options, 'options', [...OWN_FIELDS, ...IGNORED_FIELDS, ...CONNECTION_FIELDS])
  if (options.type !== undefined && options.type !== 's3') throw new InvalidOptionError('options.type', 'must be "s3" when given')
  const bucket = validateBucket(options.bucket, 'options.bucket') ?? validateBucket(options.bucketName, 'options.bucketName')
  if (bucket === undefined) throw new InvalidOptionError('options.bucket', 'is required (or options.bucketName)')
  if (options.bucket !== undefined && options.bucketName !== undefined && options.bucket !== options.bucketName) {
    throw new InvalidOptionError('options.bucketName', 'differs from options.bucket; give one of them')
  }
  const prefix = normalizePrefix(options.prefix, 'options.prefix')
  const cutoff = cutoffOf(options.olderThan)
  const concurrency = validateInteger(options.concurrency, 'options.concurrency', 1, 64) ?? DEFAULTS.concurrency
  const dryRun = validateBoolean(options.dryRun, 'options.dryRun') ?? DEFAULTS.dryRun
  if (options.client === undefined) return { client: createS3Client(options, 'options'), ownClient: true, bucket, prefix, cutoff, concurrency, dryRun }
  if (typeof (options.client as { send?: unknown }).send !== 'function') throw new InvalidOptionError('options.client', 'must be an S3Client')
  const clash = CONNECTION_FIELDS.find((field) => options[field] !== undefined)
  if (clash !== undefined) throw new InvalidOptionError(`options.${clash}`, 'cannot be combined with options.client; configure your client instead')
  return { client: options.client, ownClient: false, bucket, prefix, cutoff, concurrency, dryRun }
}

/** Uploads initiated strictly before this instant (ms since the epoch) are due. */
function cutoffOf (olderThan: unknown): number {
  if (olderThan === undefined) throw new InvalidOptionError('options.olderThan', 'is required: an age in ms or a Date')
  if (olderThan instanceof Date) {
    if (Number.isNaN(olderThan.getTime())) throw new InvalidOptionError('options.olderThan', 'must be a valid Date')
    // No upload starts in the future: such a Date is a mistake (an age added to now instead of taken from it) that
    // would abort the uploads in progress too. Every upload started until now is `olderThan: 0`, said on purpose.
    if (olderThan.getTime() > Date.now()) {
      throw new InvalidOptionError('options.olderThan', `is in the future (${olderThan.toISOString()}): it would abort uploads in progress; give 0 to abort every upload started until now`)
    }
    return olderThan.getTime()
  }
  if (typeof olderThan !== 'number') throw new InvalidOptionError('options.olderThan', `must be an age in ms or a Date, got ${typeName(olderThan)}`)
  return Date.now() - (validateInteger(olderThan, 'options.olderThan', 0) as number)
}

/** Resolves with the abort's error, or undefined once the upload is gone. */
async function abortOne (client: S3Client, bucket: string, { key, uploadId }: AbortedUpload): Promise<Error | undefined> {
  try {
    await client.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: key, UploadId: uploadId }))
    return undefined
  } catch (err) {
    if ((err as { name?: unknown } | null)?.name === 'NoSuchUpload') return undefined
    return toError(redact(err))
  }
}

/** `fn` over `items`, `limit` at a time; results in the order of `items`. */
async function inBatches<T, R> (items: readonly T[], limit: number, fn: (item: T) => Promise<R>): Promise<R[]> {
  const results: R[] = []
  for (let i = 0; i < items.length; i += limit) results.push(...await Promise.all(items.slice(i, i + limit).map(fn)))
  return results
}
