import { Writable } from 'node:stream'
import type { PutObjectCommandInput, S3Client } from '@aws-sdk/client-s3'
import { isBatch, type Batch } from '../batch.js'
import type { Clock } from '../clock.js'
import { InvalidBatchError, S3UploadError } from '../errors.js'
import { compressedContentType } from '../internal/compression-extension.js'
import { defaultKey } from '../internal/object-key.js'
import { retryReporter } from '../internal/retry-events.js'
import type { S3ConnectionOptions } from '../internal/s3-client.js'
import { ManifestWriter } from '../internal/manifest-writer.js'
import type { Manifest } from '../internal/manifest-tracker.js'
import { templateKey } from '../internal/template-key.js'
import type { KeyTemplate } from '../key-template.js'
import { UploadJob } from '../internal/upload-job.js'
import { JobPool } from '../internal/job-pool.js'
import type { ObjectAbandoned } from './object-abandoned.js'
import { resolveWritableOptions, type WritableSettings } from './writable-options.js'

export { resolveManifests, validateUploadParams } from './writable-options.js'
export type { UploadRetry } from '../internal/retry-events.js'
import type { S3SinkConfig } from './sink-config.js'

/** Extra parameters for every object, e.g. `StorageClass`, `ServerSideEncryption`, `Metadata`, `Tagging`. */
export type UploadParams = Omit<PutObjectCommandInput, 'Bucket' | 'Key' | 'Body' | 'ContentLength'>

/**
 * Options of {@link s3Writable}: the sink config's connection fields, or a
 * `client` of your own, plus upload tuning.
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
   * complete: `true`, or `{ keyTemplate }` for its key (no `{id}` needed;
   * dated by the window's start). Default off.
   */
  manifests?: boolean | { keyTemplate?: string }
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
  batched?: S3SinkConfig['batched']
}

/** What the `'object'` event carries for every object written. */
export interface ObjectWritten {
  bucket: string
  key: string
  etag: string | undefined
  /** Bytes stored (compressed size for gzip batches). */
  bytes: number
  /** Records in the object. */
  records: number
  /** Start of the object's window, ms since the epoch. */
  windowStart: number
  /** The batch's sequence number in its window stage: objects sorted by it hold the feed in order. */
  seq: number
}

/** What the `'manifest'` event carries once a manifest is stored. */
export interface ManifestWritten {
  bucket: string
  key: string
  manifest: Manifest
}

/**
 * Uploads every batch it receives as one S3 object: multipart above
 * `partSize`, a single PutObject below, streaming the batch body so it is
 * never held whole in memory (about
 * `(concurrency + open) × (queueSize + 1) × partSize` bytes at most, `open`
 * being the batches the window is still writing: 2 at most with `minuteWindow()`).
 *
 * `final` resolves only once every object is complete, so when `pipeline()`
 * resolves, everything is in S3. On failure or destroy it aborts the
 * multipart uploads in flight and fails with `ERR_S3_UPLOAD` (bucket, key, the
 * AWS error as `cause`). Emits `'object'` ({@link ObjectWritten}) per object
 * S3 confirmed, `'abandoned'` ({@link ObjectAbandoned}: what it left) per
 * object given up on a failure or destroy, and `'retry'` ({@link UploadRetry})
 * before every retry. Retriable failures
 * are retried until `retryFor` passes; while the store throttles, fewer
 * objects are uploaded at once.
 *
 * Once an object is complete (and `'object'` emitted), its batch's `acks`
 * fire: every record's `onDurable` callback runs once, never for an object
 * that failed or was aborted. A callback that throws destroys the sink with
 * a `CallbackError` (`ERR_CALLBACK`, the thrown value as `cause`) after the
 * other callbacks of that object have run.
 *
 * @example
 * ```ts
 * const sink = s3Writable({ bucket: 'logs', region: 'us-west-2', accessKeyId, secretAccessKey, prefix: 'runs/' })
 * sink.on('object', ({ key, records }) => console.log(key, records))
 * await pipeline(source, filterApis(), minuteWindow(), gzip(), sink)
 * ```
 */
export function s3Writable (options: S3WritableOptions): Writable {
  const settings = resolveWritableOptions(options)
  const sink = new S3Writable(settings)
  // A client built here is ours to close once every upload or abort is over; a caller's never is.
  if (settings.ownsClient) sink.once('close', () => { settings.client.destroy() })
  return sink
}

class S3Writable extends Writable {
  readonly #s: WritableSettings
  readonly #pool: JobPool<UploadJob, Batch>
  readonly #manifests: ManifestWriter | undefined
  /** The latest upload per key still under way: two objects for one key (a redelivered Run) go in order. */
  readonly #lastByKey = new Map<string, UploadJob>()

  constructor (settings: WritableSettings) {
    super({ objectMode: true, highWaterMark: 1 })
    this.#s = settings
    if (settings.manifestTemplate !== undefined) {
      const { ContentType: _type, ContentEncoding: _encoding, ...params } = settings.params
      this.#manifests = new ManifestWriter({
        client: settings.client,
        bucket: settings.bucket,
        prefix: settings.prefix,
        template: settings.manifestTemplate,
        params,
        abortTimeout: settings.abortTimeout,
        retry: settings.retry,
        onRetry: (key) => retryReporter(key, this, { throttled: () => {} }),
        onWritten: (key, manifest) => { this.emit('manifest', { bucket: settings.bucket, key, manifest } satisfies ManifestWritten) },
        onError: (error) => { this.destroy(error) }
      })
    }
    this.#pool = new JobPool<UploadJob, Batch>({
      wrap: (job, cause) => new S3UploadError(settings.bucket, job.key, cause, job.failedAfter),
      concurrency: settings.concurrency,
      onDone: (job, batch) => {
        const written: ObjectWritten = {
          bucket: settings.bucket,
          key: job.key,
          etag: job.etag,
          bytes: job.bytes,
          records: batch.stats.records,
          windowStart: batch.windowStart,
          seq: batch.seq
        }
        this.emit('object', written)
        // After 'object': whoever counts objects has seen it before a source learns it is durable.
        const error = batch.acks?.fire() ?? null
        if (error !== null) this.destroy(error)
        // Completed during a destroy: its manifest writer is being aborted too.
        else if (!this.destroyed) this.#manifests?.completed(batch, { key: job.key, etag: job.etag, bytes: job.bytes, checksum: job.checksum })
      },
      onAbandoned: (job, batch) => {
        const outcome = job.outcome
        if (outcome !== 'stored') this.emit('abandoned', { bucket: settings.bucket, key: job.key, records: batch.stats.records, outcome } satisfies ObjectAbandoned)
      },
      onFailure: (error) => {
        this.#manifests?.failed()
        this.destroy(error)
      }
    })
  }

  override _write (batch: unknown, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    if (!isBatch(batch)) return cb(new InvalidBatchError('s3Writable()'))
    let key: string
    try {
      key = batch.key ?? (this.#s.template === undefined ? defaultKey(this.#s.prefix, batch) : templateKey(this.#s.template, this.#s.prefix, batch))
    } catch (err) {
      return cb(err as Error)
    }
    const job = new UploadJob({
      client: this.#s.client,
      params: { ...this.#s.params, Bucket: this.#s.bucket, Key: key, ...this.#typeOf(batch) },
      body: this.#manifests?.started(batch) ?? batch.body,
      partSize: this.#s.partSize,
      queueSize: this.#s.queueSize,
      abortTimeout: this.#s.abortTimeout,
      retry: this.#s.retry,
      after: this.#lastByKey.get(key)?.settled,
      onRetry: retryReporter(key, this, this.#pool)
    })
    this.#lastByKey.set(key, job)
    void job.settled.then(() => { if (this.#lastByKey.get(key) === job) this.#lastByKey.delete(key) })
    // Acknowledged once the upload is under way and a slot is free; final() waits for it to complete.
    const acks = batch.acks
    this.#pool.add(job, batch, cb, acks === undefined ? undefined : () => !acks.sealed)
  }

  /** Content-Type and Content-Encoding of a batch's object (see `encodingHeader`); params.ContentType wins. */
  #typeOf (batch: Batch): { ContentType: string, ContentEncoding?: string } {
    const given = this.#s.params.ContentType
    const encoding = batch.contentEncoding
    if (encoding === undefined) return { ContentType: given ?? batch.contentType }
    const asType = this.#s.encodingHeader ? undefined : compressedContentType(encoding)
    if (asType !== undefined) return { ContentType: given ?? asType }
    return { ContentType: given ?? batch.contentType, ContentEncoding: encoding }
  }

  override _final (cb: (err?: Error | null) => void): void {
    this.#pool.whenIdle((err) => {
      if (err !== undefined && err !== null) return cb(err)
      // Every object is complete: the last windows' manifests can go, and finish waits for them.
      if (this.#manifests === undefined) return cb()
      void this.#manifests.finish().then(() => { cb() })
    })
  }

  override _destroy (err: Error | null, cb: (err?: Error | null) => void): void {
    void Promise.all([this.#pool.destroy(err), this.#manifests?.abort(err ?? new Error('s3Writable() was destroyed'))]).then(([poolError]) => { cb(poolError as Error | null | undefined) })
  }
}
