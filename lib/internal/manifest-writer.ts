import { setMaxListeners } from 'node:events'
import { pipeline, type Readable } from 'node:stream'
import type { S3Client } from '@aws-sdk/client-s3'
import type { Batch } from '../batch.js'
import { S3UploadError } from '../errors.js'
import type { KeyTemplate } from '../key-template.js'
import { HashingStream } from './hashing-stream.js'
import { ManifestTracker, type Manifest, type ObjectChecksum } from './manifest-tracker.js'
import { PutJob, type PutJobSettings } from './put-job.js'
import type { RetryNotice } from './retry-loop.js'
import type { RetryPolicy } from './retry-policy.js'

/** The default manifest key: one JSON object per window (and partition), dated by the window's start. */
export const DEFAULT_MANIFEST_TEMPLATE = '{prefix}_manifests/{YYYY}/{MM}/{DD}/{HH}/{YYYY}-{MM}-{DD}-{HH}-{mm}-{ss}-{id}.json'

export interface ManifestWriterOptions {
  client: S3Client
  bucket: string
  prefix: string
  template: KeyTemplate
  /** Upload parameters of the sink that suit a small JSON object too (encryption, storage class, ...). */
  params: Record<string, unknown>
  abortTimeout: number
  /** The sink's retries: a manifest is retried like an object. */
  retry: RetryPolicy
  /** Reports a retry of the manifest with this key. */
  onRetry: (key: string) => (notice: RetryNotice) => void
  /** A manifest is stored. */
  onWritten: (key: string, manifest: Manifest) => void
  /** A manifest could not be stored: the sink fails with it. */
  onError: (error: Error) => void
}

/** What an upload reports once done, for the manifest entry of its object. */
export interface FinishedUpload { key: string, etag: string | undefined, bytes: number, checksum: ObjectChecksum | undefined }

/**
 * The manifests of one `s3Writable()`: hashes each object's bytes as they go
 * to S3, collects completed objects per window and partition, and stores a
 * manifest once a window's objects are all complete. None after a failure.
 */
export class ManifestWriter {
  readonly #o: ManifestWriterOptions
  readonly #tracker: ManifestTracker
  readonly #hashes = new WeakMap<Batch, HashingStream>()
  readonly #jobs = new Set<PutJob>()
  /** What every manifest's upload shares: a manifest is a small JSON object whole in memory, one PutObject. */
  readonly #job: PutJobSettings

  constructor (options: ManifestWriterOptions) {
    this.#o = options
    // One signal for every manifest in flight, aborted with them all by abort().
    const cancel = new AbortController()
    setMaxListeners(0, cancel.signal)
    this.#job = {
      client: options.client,
      params: { ...options.params, Bucket: options.bucket, ContentType: 'application/json' },
      cancel,
      abortTimeout: options.abortTimeout,
      retry: options.retry,
      onRetry: (notice, key) => { options.onRetry(key)(notice) }
    }
    this.#tracker = new ManifestTracker({ bucket: options.bucket, template: options.template, prefix: options.prefix, write: (key, manifest) => { this.#store(key, manifest) } })
  }

  /** An upload of `batch` starts; returns the body to upload, hashed on its way. */
  started (batch: Batch): Readable {
    this.#tracker.started(batch)
    const hashing = new HashingStream()
    // Errors travel on, so the upload fails rather than completing short.
    pipeline(batch.body, hashing, () => {})
    this.#hashes.set(batch, hashing)
    return hashing
  }

  completed (batch: Batch, upload: FinishedUpload): void {
    const sha256 = this.#hashes.get(batch)?.sha256
    const time = (ms: number | undefined): string | null => ms === undefined ? null : new Date(ms).toISOString()
    this.#tracker.completed(batch, {
      key: upload.key,
      etag: upload.etag,
      records: batch.stats.records,
      rawBytes: batch.stats.bytes,
      storedBytes: upload.bytes,
      minEventTime: time(batch.stats.minTime),
      maxEventTime: time(batch.stats.maxTime),
      checksum: upload.checksum ?? { algorithm: 'SHA256', value: sha256 ?? '' }
    })
  }

  failed (): void {
    this.#tracker.failed()
  }

  /** The feed ended and every object is complete: writes the last manifests and waits for them. */
  async finish (): Promise<void> {
    this.#tracker.finish()
    while (this.#jobs.size > 0) await Promise.all([...this.#jobs].map(async (job) => job.settled))
  }

  /** Stops the manifests under way. */
  async abort (reason: Error): Promise<void> {
    this.#tracker.failed()
    await Promise.all([...this.#jobs].map(async (job) => job.abort(reason)))
  }

  #store (key: string, manifest: Manifest): void {
    const job = new PutJob(this.#job, key, Buffer.from(JSON.stringify(manifest, null, 1) + '\n'))
    this.#jobs.add(job)
    void job.settled.then(() => {
      this.#jobs.delete(job)
      if (job.ok) this.#o.onWritten(key, manifest)
      else this.#o.onError(new S3UploadError(this.#o.bucket, key, job.failure, job.failedAfter))
    })
  }
}
