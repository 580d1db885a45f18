import { setMaxListeners } from 'node:events'
import { Writable } from 'node:stream'
import { systemClock, type Clock } from '../clock.js'
import { CallbackError, S3UploadError, toError } from '../errors.js'
import { apiFilter, type DropReason } from '../internal/api-filter.js'
import { ackNow, afterAcks, callDurable, durableOf } from '../internal/durable-callback.js'
import type { DurableCallback } from '../durable.js'
import { recordText } from '../internal/ndjson-line.js'
import { retryReporter } from '../internal/retry-events.js'
import { retryPolicyFor } from '../internal/retry-options.js'
import type { RetryPolicy } from '../internal/retry-policy.js'
import type { RetryNotice } from '../internal/retry-loop.js'
import { runKey } from '../internal/run-key.js'
import { templateRunKey } from '../internal/template-key.js'
import { PutJob, type PutJobSettings } from '../internal/put-job.js'
import { JobPool } from '../internal/job-pool.js'
import { batchedSink } from '../internal/batched-sink.js'
import { routedSink } from '../internal/routed-sink.js'
import type { ObjectAbandoned } from './object-abandoned.js'

export { runKey }
import { resolveSinkConfig, type S3SinkConfig, type SinkSettings } from './sink-config.js'

/**
 * What the `'object'` event of the per-Run sink carries.
 *
 * @example
 * ```ts
 * sink.on('object', (written: RunWritten) => { console.log(`s3://${written.bucket}/${written.key}`) })
 * ```
 */
export interface RunWritten {
  bucket: string
  key: string
  etag: string | undefined
  /** Size of the object: the Run's JSON text in bytes. */
  bytes: number
  /** Always 1: one object per Run. */
  records: 1
}

/** Objects the per-Run sink uploads at once by default (the bench's PutObject loop uses the same). */
export const RUN_CONCURRENCY = 8
const DEFAULTS = Object.freeze({ concurrency: RUN_CONCURRENCY, clock: systemClock })
/** A PutObject is cancelled at once on destroy; this only bounds a request that ignores it. */
const ABORT_TIMEOUT = 1000

/**
 * The S3 sink of a Run or Job, from its documented config: every Run result
 * that passes `apisToSend` and `skipOnFail` becomes one `.json` object whose
 * content is exactly `JSON.stringify(run)`, at
 * `[prefix][api name]/[runId].json` (so a redelivered Run replaces its
 * object; Runs with the same key are written one after the other, never at
 * once), or `[prefix][api name]/YYYY/MM/DD/HH/YYYY-MM-DD-HH-MM-SS-<hex>.json`
 * when it has no `apiInfo.runId`.
 *
 * With `batched`, it is instead `filterApis → minuteWindow → gzip → keyRotate
 * → s3Writable` as one writable: one NDJSON gzip object per window.
 *
 * With `routes`, each Run goes to the first route whose `when` takes it, and
 * each route stores its Runs its own way (per Run or batched, its prefix,
 * template and compression) through one `s3Writable()`: one upload pool, one
 * backpressure. Its `'object'` events name the route
 * ({@link RoutedObjectWritten}). A Run no route takes fails the sink
 * (`ERR_CALLBACK`), or with `unmatched: 'drop'` is left out.
 *
 * Either way, `'finish'` (and `pipeline()`) waits for every upload, a failed
 * upload fails the stream once with `ERR_S3_UPLOAD`, and a bad config throws a
 * `ConfigError` listing every problem. Emits `'object'` per object S3
 * confirmed, `'abandoned'` ({@link ObjectAbandoned}) per object given up on a
 * failure or destroy,
 * `'retry'` (`{ key, attempt, delayMs, error }`) before every retry of a
 * request (retriable failures are retried until `retryFor` passes), and
 * `'drop'` (`{ record, reason }`) per Run filtered out (or, with `unmatched: 'drop'`, that no route took);
 * batched, the window's `'late'` and `'invalid'` too. A Run's `onDurable`
 * callback runs once its object (or batch) is stored, or at once when it is
 * filtered out; one that throws fails the sink with `ERR_CALLBACK`.
 *
 * @example
 * ```ts
 * const sink = createS3Sink({ type: 's3', bucket: 'runs', region: 'us-west-2', accessKeyId, secretAccessKey, prefix: 'prod/', skipOnFail: true })
 * sink.on('object', ({ key }) => console.log('stored', key))
 * await pipeline(runs, sink)
 *
 * // Failed Runs one object each under errors/, the others batched under runs/:
 * const failed = (run: unknown) => (run as { apiInfo?: { result?: { status?: string } } }).apiInfo?.result?.status === 'failed'
 * await pipeline(runs, createS3Sink({ type: 's3', bucket: 'runs', region: 'us-west-2', routes: [
 *   { name: 'errors', when: failed, prefix: 'errors/' },
 *   { name: 'runs', prefix: 'runs/', batched: { compression: 'zstd' } }
 * ] }))
 *
 * // Only the failed Runs, one object each; the others are left out (announced with 'drop'):
 * await pipeline(runs, createS3Sink({ type: 's3', bucket: 'runs', region: 'us-west-2', routes: [{ name: 'errors', when: failed }], unmatched: 'drop' }))
 * ```
 */
export function createS3Sink (config: S3SinkConfig): Writable {
  const settings = resolveSinkConfig(config)
  const { sink, last } = settings.routes !== undefined ? routedSink(settings, settings.routes)
    : settings.batched === null ? { sink: new RunSink(settings), last: null } : batchedSink(settings)
  // Its sockets go with it; 'close' comes once every upload or abort has ended.
  if (settings.ownsClient) (last ?? sink).once('close', () => { settings.client.destroy() })
  return sink
}

type Callback = (err?: Error | null) => void


class RunSink extends Writable {
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
