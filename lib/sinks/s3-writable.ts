import { Writable } from 'node:stream'
import { isBatch, type Batch } from '../batch.js'
import { InvalidBatchError, S3UploadError } from '../errors.js'
import { afterAcks } from '../internal/durable-callback.js'
import { compressedContentType } from '../internal/compression-extension.js'
import { defaultKey } from '../internal/object-key.js'
import { retryReporter } from '../internal/retry-events.js'
import { ManifestWriter } from '../internal/manifest-writer.js'
import { templateKey } from '../internal/template-key.js'
import { UploadJob } from '../internal/upload-job.js'
import { JobPool } from '../internal/job-pool.js'
import type { ManifestWritten } from './manifest-written.js'
import type { ObjectAbandoned } from './object-abandoned.js'
import type { ObjectWritten } from './object-written.js'
import type { S3WritableOptions } from './s3-writable-options.js'
import { resolveWritableOptions, type WritableSettings } from './writable-options.js'

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
        const error = batch.acks?.fire(this) ?? null
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

  override _final (done: (err?: Error | null) => void): void {
    const cb = afterAcks(this, done)
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
