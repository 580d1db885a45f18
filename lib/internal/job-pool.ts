import { BatchAbortedError, S3UploadError } from '../errors.js'
import { redact } from './redact.js'

type Callback = (err?: Error | null) => void

/** What the pool needs of one unit of work (an upload, a file). */
export interface PoolJob {
  readonly key: string
  /** Resolves when the job has completed or failed; never rejects. */
  readonly settled: Promise<void>
  readonly ok: boolean
  /** Why the job failed, once settled. */
  readonly failure: unknown
  /** Stops the job; resolves with a cleanup error (e.g. a failed AbortMultipartUpload), never rejects. */
  abort (reason: Error): Promise<unknown>
}

export interface JobPoolOptions<J extends PoolJob, M> {
  /** Jobs at once at most; a write waits for a free slot. Throttling lowers the bound for a while (see {@link JobPool.throttled}). */
  concurrency: number
  /** A job completed. */
  onDone: (job: J, meta: M) => void
  /** A job failed on its own; the owner destroys itself with `error`. */
  onFailure: (error: Error) => void
  /** The typed error reported for a job's failure. */
  wrap: (job: J, cause: unknown) => Error
  /** On destroy, every job that did not complete, once its abort has settled (what it left is then known). */
  onAbandoned?: (job: J, meta: M) => void
}

/**
 * The jobs a writable sink has under way: bounds how many run at once, holds
 * the write callback while every slot is taken, tells `final` when all are
 * done, and on destroy aborts them and picks the error worth reporting.
 *
 * The bound adapts to throttling (AIMD, as TCP does with congestion): each
 * `throttled()` halves it, then ignores further calls until as many jobs as
 * the new bound have completed, so one burst of SlowDown answers counts once;
 * every `limit` jobs completed raise it by one, back up to `concurrency`.
 */
export class JobPool<J extends PoolJob, M> {
  readonly #o: JobPoolOptions<J, M>
  readonly #jobs = new Map<J, M>()
  /** Tells, for the jobs that were given one, whether their input is still being written (see `add`). */
  readonly #writing = new Map<J, () => boolean>()
  #parked: Callback | null = null
  #idle: Callback | null = null
  #limit: number
  /** Jobs completed since the last cut, and how many must complete before the next one. */
  #sinceCut = 0
  #cutGate = 0
  /** Jobs completed since the bound last rose or fell. */
  #sinceChange = 0

  constructor (options: JobPoolOptions<J, M>) {
    this.#o = options
    this.#limit = options.concurrency
  }

  /** Jobs allowed at once right now: `concurrency`, or less while the store throttles. */
  get limit (): number {
    return this.#limit
  }

  /**
   * Tracks `job`; `cb` runs once a slot is free, which may be at once.
   *
   * `writing`, when given, tells whether the job's input is still being
   * written (a batch its window has not closed). Such a job holds no slot:
   * its pace is its producer's, and a producer with several batches open at
   * once (a window's main and dead-letter batches) may need the next one
   * taken before it can end this one. Counting it would deadlock such a
   * producer at `concurrency` open batches; the producer bounds how many it
   * keeps open.
   */
  add (job: J, meta: M, cb: Callback, writing?: () => boolean): void {
    this.#jobs.set(job, meta)
    if (writing !== undefined) this.#writing.set(job, writing)
    void job.settled.then(() => { this.#settled(job) })
    if (this.#busy() < this.#limit) cb()
    else this.#parked = cb
  }

  /** The store answered SlowDown/503/429: fewer jobs at once for a while. */
  throttled (): void {
    if (this.#sinceCut < this.#cutGate) return
    this.#limit = Math.max(1, Math.floor(this.#limit / 2))
    this.#cutGate = this.#limit
    this.#sinceCut = 0
    this.#sinceChange = 0
  }

  /** `cb` runs once every job has completed. */
  whenIdle (cb: Callback): void {
    if (this.#jobs.size === 0) cb()
    else this.#idle = cb
  }

  /**
   * Aborts every job and resolves with the error to report: `err`, unless a
   * job failed on its own, which outranks a bare destroy or a premature close
   * (the same error object travelling back through the stages). Never rejects.
   *
   * A job that completes all the same (its last answer arrived before the
   * abort took effect) is reported done, like any other: the store confirmed
   * it. Every other job is reported abandoned.
   */
  async destroy (err: Error | null): Promise<Error | null> {
    const entries = [...this.#jobs]
    const jobs = entries.map(([job]) => job)
    this.#jobs.clear()
    this.#writing.clear()
    this.#parked = null
    this.#idle = null
    const reason = err ?? new BatchAbortedError('the sink was destroyed before its objects were complete')
    const results = await Promise.all(jobs.map(async (job) => ({ job, abortError: await job.abort(reason) })))
    let reported = err
    for (const { job, abortError } of results) {
      const own = job.failure !== undefined && job.failure !== reason && !isAbortError(job.failure)
      if (own && (reported === null || isWeak(reported))) reported = this.#o.wrap(job, job.failure)
      if (abortError !== undefined && reported instanceof S3UploadError && reported.key === job.key) reported.abortError = redact(abortError)
    }
    for (const [job, meta] of entries) {
      if (job.ok) this.#o.onDone(job, meta)
      else this.#o.onAbandoned?.(job, meta)
    }
    return reported
  }

  /** Jobs holding a slot: all but those whose input is still being written (a handful: jobs are bounded). */
  #busy (): number {
    // The usual case (a per-Run sink, finished batches): every job holds a slot.
    if (this.#writing.size === 0) return this.#jobs.size
    let busy = 0
    for (const job of this.#jobs.keys()) if (this.#writing.get(job)?.() !== true) busy++
    return busy
  }

  #settled (job: J): void {
    const meta = this.#jobs.get(job)
    if (meta === undefined) return // destroyed meanwhile: destroy() reports
    if (!job.ok) return this.#o.onFailure(this.#o.wrap(job, job.failure))
    this.#jobs.delete(job)
    this.#writing.delete(job)
    this.#sinceCut++
    if (++this.#sinceChange >= this.#limit && this.#limit < this.#o.concurrency) {
      this.#limit++
      this.#sinceChange = 0
    }
    this.#o.onDone(job, meta)
    const parked = this.#parked
    if (parked !== null && this.#busy() < this.#limit) {
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
