import { BatchAbortedError, S3UploadError } from '../errors.js'
import { redact } from './redact.js'
import type { UploadJob } from './upload-job.js'

type Callback = (err?: Error | null) => void

export interface UploadPoolOptions<M> {
  bucket: string
  /** Uploads at once; a write waits for a free slot. */
  concurrency: number
  /** An upload completed. */
  onObject: (job: UploadJob, meta: M) => void
  /** An upload failed on its own; the owner destroys itself with `error`. */
  onFailure: (error: S3UploadError) => void
}

/**
 * The uploads a writable sink has under way: bounds how many run at once,
 * holds the write callback while every slot is taken, tells `final` when all
 * are done, and on destroy aborts them and picks the error worth reporting.
 */
export class UploadPool<M> {
  readonly #o: UploadPoolOptions<M>
  readonly #jobs = new Map<UploadJob, M>()
  #parked: Callback | null = null
  #idle: Callback | null = null

  constructor (options: UploadPoolOptions<M>) {
    this.#o = options
  }

  /** Tracks `job`; `cb` runs once a slot is free, which may be at once. */
  add (job: UploadJob, meta: M, cb: Callback): void {
    this.#jobs.set(job, meta)
    void job.settled.then(() => { this.#settled(job) })
    if (this.#jobs.size < this.#o.concurrency) cb()
    else this.#parked = cb
  }

  /** `cb` runs once every upload has completed. */
  whenIdle (cb: Callback): void {
    if (this.#jobs.size === 0) cb()
    else this.#idle = cb
  }

  /**
   * Aborts every upload and resolves with the error to report: `err`, unless
   * an upload failed on its own, which outranks a bare destroy or a
   * premature close (the same error object travelling back through the
   * stages). Never rejects.
   */
  async destroy (err: Error | null): Promise<Error | null> {
    const jobs = [...this.#jobs.keys()]
    this.#jobs.clear()
    this.#parked = null
    this.#idle = null
    const reason = err ?? new BatchAbortedError('the sink was destroyed before the upload completed')
    const results = await Promise.all(jobs.map(async (job) => ({ job, abortError: await job.abort(reason) })))
    let reported = err
    for (const { job, abortError } of results) {
      const own = job.failure !== undefined && job.failure !== reason && !isAbortError(job.failure)
      if (own && (reported === null || isWeak(reported))) reported = new S3UploadError(this.#o.bucket, job.key, job.failure)
      if (abortError !== undefined && reported instanceof S3UploadError && reported.key === job.key) reported.abortError = redact(abortError)
    }
    return reported
  }

  #settled (job: UploadJob): void {
    const meta = this.#jobs.get(job)
    if (meta === undefined) return // destroyed meanwhile: destroy() reports
    if (!job.ok) return this.#o.onFailure(new S3UploadError(this.#o.bucket, job.key, job.failure))
    this.#jobs.delete(job)
    this.#o.onObject(job, meta)
    const parked = this.#parked
    if (parked !== null && this.#jobs.size < this.#o.concurrency) {
      this.#parked = null
      parked()
    }
    const idle = this.#idle
    if (idle !== null && this.#jobs.size === 0) {
      this.#idle = null
      idle()
    }
  }
}

function isWeak (err: Error): boolean {
  return (err as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE' || err instanceof BatchAbortedError
}

function isAbortError (err: unknown): boolean {
  return err instanceof Error && err.name === 'AbortError'
}
