import { setMaxListeners } from 'node:events'
import { Writable } from 'node:stream'
import { systemClock, type Clock } from '../clock.js'
import { CallbackError, S3UploadError, toError } from '../errors.js'
import { apiFilter, type DropReason } from './api-filter.js'
import { ackNow, afterAcks, callDurable, durableOf } from './durable-callback.js'
import type { DurableCallback } from '../durable.js'
import { recordText } from './ndjson-line.js'
import { retryReporter } from './retry-events.js'
import { retryPolicyFor } from './retry-options.js'
import type { RetryPolicy } from './retry-policy.js'
import type { RetryNotice } from './retry-loop.js'
import { runKey } from './run-key.js'
import { templateRunKey } from './template-key.js'
import { PutJob, type PutJobSettings } from './put-job.js'
import { JobPool } from './job-pool.js'
import type { ObjectAbandoned } from '../sinks/object-abandoned.js'
import type { RunWritten } from '../sinks/run-written.js'
import type { SinkSettings } from '../sinks/sink-config.js'

/** Objects the per-Run sink uploads at once by default (the bench's PutObject loop uses the same). */
export const RUN_CONCURRENCY = 8
const DEFAULTS = Object.freeze({ concurrency: RUN_CONCURRENCY, clock: systemClock })
/** A PutObject is cancelled at once on destroy; this only bounds a request that ignores it. */
const ABORT_TIMEOUT = 1000

type Callback = (err?: Error | null) => void

/**
 * The per-Run sink of `createS3Sink()`: each Run that passes the filters goes as one PutJob (its JSON text,
 * one PutObject) through one JobPool, Runs for the same key one after the other.
 */
export class RunSink extends Writable {
  readonly #s: SinkSettings
  readonly #clock: Clock
  readonly #decide: (record: unknown) => DropReason | null
  /** What every Run's job shares. */
  readonly #job: PutJobSettings
  readonly #pool: JobPool<PutJob, DurableCallback | null>
  /** The latest job per key still under way: a Run for the same key waits for it. */
  readonly #lastByKey = new Map<string, PutJob>()
  #index = 0

  constructor (s: SinkSettings) {
    // One Run may wait for a slot, so write() says false as soon as every slot is taken.
    super({ objectMode: true, highWaterMark: 2 })
    this.#s = s
    this.#clock = s.clock ?? DEFAULTS.clock
    this.#decide = apiFilter({ apisToSend: s.apisToSend, skipOnFail: s.skipOnFail }, 'config')
    const retry: RetryPolicy = retryPolicyFor(s.client, s.retryFor, this.#clock)
    // A client of our own is closed on destroy instead (see _destroy), so its requests need no signal;
    // a caller's client gets one signal for all the requests, aborted with every job at once.
    const cancel = s.ownsClient ? null : new AbortController()
    // Each request in flight listens to it once or twice: far more than EventTarget's warning threshold.
    if (cancel !== null) setMaxListeners(0, cancel.signal)
    this.#job = {
      client: s.client,
      // A Run is already whole in memory: one PutObject, retryable, cancelled on destroy.
      params: Object.freeze({ ContentType: 'application/json', ...s.params, Bucket: s.bucket, ...(s.ifNoneMatch ? { IfNoneMatch: '*' } : {}) }),
      cancel,
      abortTimeout: ABORT_TIMEOUT,
      retry,
      onRetry: (notice: RetryNotice, key: string) => { retryReporter(key, this, this.#pool)(notice) }
    }
    this.#pool = new JobPool<PutJob, DurableCallback | null>({
      wrap: (job, cause) => new S3UploadError(s.bucket, job.key, cause, job.failedAfter),
      concurrency: s.concurrency ?? DEFAULTS.concurrency,
      onDone: (job, callback) => {
        if (this.#lastByKey.get(job.key) === job) this.#lastByKey.delete(job.key)
        const written: RunWritten = { bucket: s.bucket, key: job.key, etag: job.etag, bytes: job.bytes, records: 1 }
        this.emit('object', written)
        const error = callback === null ? null : callDurable(callback, this)
        if (error !== null) this.destroy(error)
      },
      onFailure: (error) => { this.destroy(error) },
      onAbandoned: (job) => {
        const outcome = job.outcome
        if (outcome !== 'stored') this.emit('abandoned', { bucket: s.bucket, key: job.key, records: 1, outcome } satisfies ObjectAbandoned)
      }
    })
  }

  override _write (run: unknown, _encoding: BufferEncoding, cb: Callback): void {
    const index = this.#index++
    let body: Buffer
    let key: string
    let callback: DurableCallback | undefined
    try {
      const reason = this.#decide(run)
      if (reason !== null) {
        this.emit('drop', { record: run, reason })
        ackNow(run, this)
        return cb()
      }
      callback = durableOf(run)
      // The object's content is exactly JSON.stringify(run): the NDJSON line without its newline.
      body = Buffer.from(recordText(run, index))
      key = this.#s.template === undefined ? runKey(this.#s.prefix, run, this.#now()) : templateRunKey(this.#s.template, this.#s.prefix, run, this.#now(), index)
    } catch (err) {
      return cb(toError(err))
    }
    // Two writes racing to one key may land in either order: the later Run must win.
    const job = new PutJob(this.#job, key, body, this.#lastByKey.get(key)?.settled)
    this.#lastByKey.set(key, job)
    // The pool holds the Run's callback (`null` for none) until its object is stored.
    this.#pool.add(job, callback ?? null, cb)
  }

  override _final (cb: Callback): void {
    this.#pool.whenIdle(afterAcks(this, cb))
  }

  override _destroy (err: Error | null, cb: Callback): void {
    // First: every job is aborted at once (with a caller's client, their shared signal too), so no
    // request is retried after its connection closes.
    const done = this.#pool.destroy(err)
    // The requests of a client of our own go without an abort signal (the SDK then reuses its
    // middleware stack, a fifth of its CPU per Run): closing that client's connections cancels them.
    if (this.#s.ownsClient) this.#s.client.config.requestHandler.destroy?.()
    void done.then(cb)
  }

  #now (): number {
    let now: unknown
    try { now = this.#clock.now() } catch (err) { throw new CallbackError('config.clock.now', 'threw', { cause: err }) }
    if (typeof now !== 'number' || !Number.isFinite(now)) throw new CallbackError('config.clock.now', 'must return a finite number')
    return now
  }
}
