import { PutObjectCommand, type PutObjectCommandInput, type PutObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3'
import { settledWithin } from './settled-within.js'
import { retrying, type AttemptLog, type RetryNotice } from './retry-loop.js'
import type { RetryPolicy } from './retry-policy.js'
import { isPreconditionFailed, refused, type UploadOutcome } from './upload-outcome.js'

/** What every job of one owner shares (one object, never changed). */
export interface PutJobSettings {
  client: S3Client
  /** Every field of the PutObject but the key and the body. */
  params: Omit<PutObjectCommandInput, 'Key' | 'Body'> & { Bucket: string }
  /**
   * The owner's controller, shared by its jobs: every request carries its
   * signal and `abort()` aborts it. `null`: requests go without a signal
   * (see {@link PutJob}).
   */
  cancel: AbortController | null
  /** How long `abort()` waits for a request in flight, in ms. */
  abortTimeout: number
  retry: RetryPolicy
  /** Called before every retry. */
  onRetry: (notice: RetryNotice, key: string) => void
}

/**
 * One small object already whole in memory (a Run), on its way into S3 as
 * one PutObject: retried like every request of `UploadJob` (until it
 * succeeds, fails permanently or `retryFor` has passed since its first
 * failure), with the same account of what an abandoned one may have left
 * (`outcome`), and with `If-None-Match: *` a 412 counting as stored.
 *
 * It is `UploadJob` without what a Buffer of one part never needs (a
 * multipart upload, a stream to read, an answer-lost check of a Complete),
 * and with the per-object cost of a hand-written `await send()`: the first
 * attempt goes out at once, and the retry loop, its clock and its abort
 * signal exist only once a request has failed or the job is aborted. A
 * per-Run sink sends thousands of these a second, where those allocations
 * showed.
 *
 * Its requests carry no signal of their own: the owner's `cancel` signal,
 * shared by all its jobs (every job is aborted at once, on destroy), or none
 * at all when the owner closes the client's connections instead (a client it
 * built; without options, a client with `cacheMiddleware` reuses its
 * middleware stack). `abort()` stops the retries at once and then waits up to
 * `abortTimeout` for the request in flight to end.
 */
export class PutJob {
  readonly key: string
  /** Resolves when the upload has completed or failed; never rejects. */
  readonly settled: Promise<void>
  etag: string | undefined
  /** Why the upload failed, once `settled`; `undefined` on success. */
  failure: unknown = undefined
  ok = false
  /** The object was found already stored (412 to a conditional write). */
  alreadyPresent = false
  /** Attempts of the request when it failed for good, and how long after its first attempt. */
  failedAfter: { attempts: number, ms: number } | undefined
  readonly #o: PutJobSettings
  readonly #body: Buffer
  /** A PutObject went out and its answer never came (or said nothing definite). */
  #maybeStored = false
  #inFlight = false
  /** Why the job was aborted, once it was. */
  #aborted: Error | null = null
  /** Cancels the retry loop's waits; made with the loop. */
  #retries: AbortController | null = null
  #startedAt = 0

  /** Sending starts once `after` settles (an earlier object for the same key), if given. */
  constructor (settings: PutJobSettings, key: string, body: Buffer, after?: Promise<unknown>) {
    this.#o = settings
    this.key = key
    this.#body = body
    // No closure per job on the usual path: a per-Run sink makes thousands of these a second.
    this.settled = after === undefined ? this.#start() : after.then(async () => await this.#start(), async () => await this.#start())
  }

  get bytes (): number {
    return this.#body.length
  }

  /** What became of the object, as far as the store's answers tell (read it once settled). */
  get outcome (): UploadOutcome {
    if (this.ok) return 'stored'
    return this.#maybeStored || this.#inFlight ? 'unknown' : 'not-stored'
  }

  /** Stops the retries and waits up to `abortTimeout` for the request in flight; resolves once done, never rejects. */
  async abort (reason: Error): Promise<unknown> {
    this.#aborted ??= reason
    this.#retries?.abort(reason)
    this.#o.cancel?.abort(reason)
    // A request hanging past abortTimeout: stop waiting for it.
    if (!await settledWithin(this.settled, this.#o.abortTimeout)) this.failure ??= reason
    return undefined
  }

  /**
   * Sends the first attempt at once, with one reaction to its answer; the retry loop comes in only once it
   * has failed. Never rejects.
   */
  #start (): Promise<void> {
    try {
      this.#startedAt = this.#o.retry.clock.now()
    } catch (err) {
      this.failure = err
      return Promise.resolve()
    }
    if (this.#aborted !== null) {
      this.failure = this.#aborted
      return Promise.resolve()
    }
    return this.#send().then((output) => {
      this.#inFlight = false
      this.#stored(output)
    }, async (err: unknown) => {
      this.#unanswered(err)
      try {
        this.#stored(await this.#retry(err))
      } catch (failure) {
        // After abort(), a request that fails was cut short by it (a sink's own client closes its connections).
        this.failure = this.#aborted ?? failure
      }
    })
  }

  /** Every attempt after the first. */
  #attempt (): Promise<PutObjectCommandOutput> {
    if (this.#aborted !== null) return Promise.reject(this.#aborted)
    return this.#send().then((output) => {
      this.#inFlight = false
      return output
    }, (err: unknown) => {
      this.#unanswered(err)
      throw err
    })
  }

  #send (): Promise<PutObjectCommandOutput> {
    const { client, params, cancel } = this.#o
    this.#inFlight = true
    // A fresh input per attempt: the SDK's middleware writes into the one it sends.
    try {
      const command = new PutObjectCommand({ ...params, Key: this.key, Body: this.#body })
      // Promise.resolve returns the SDK's own promise as is; a stub's plain value becomes one.
      return Promise.resolve(cancel === null ? client.send(command) : client.send(command, { abortSignal: cancel.signal }))
    } catch (err) {
      // A caller's client (or a stub of one) may throw instead of rejecting: it is that attempt's failure.
      return Promise.reject(err)
    }
  }

  #unanswered (err: unknown): void {
    this.#inFlight = false
    if (!refused(err)) this.#maybeStored = true
  }

  /** `output` is what the client answered: a stub's may be nothing. */
  #stored (output: PutObjectCommandOutput | undefined): void {
    this.ok = true
    this.etag = output?.ETag
  }

  /** The first attempt failed: the retry loop takes over, with the first failure as its first attempt. */
  async #retry (first: unknown): Promise<PutObjectCommandOutput> {
    const controller = new AbortController()
    this.#retries = controller
    if (this.#aborted !== null) controller.abort(this.#aborted)
    const log: AttemptLog = { attempts: 0, ambiguous: false, startedAt: this.#startedAt }
    const ctx = { policy: this.#o.retry, signal: controller.signal, onRetry: (notice: RetryNotice) => { this.#o.onRetry(notice, this.key) } }
    try {
      return await retrying(async () => await this.#attempt(), ctx, log, { failure: first })
    } catch (err) {
      if (controller.signal.aborted) throw err
      if (this.#o.params.IfNoneMatch !== undefined && isPreconditionFailed(err)) {
        // The key was taken before our write: delivered by an earlier one.
        this.alreadyPresent = true
        return { ETag: undefined, $metadata: {} }
      }
      this.failedAfter = { attempts: log.attempts, ms: this.#o.retry.clock.now() - this.#startedAt }
      throw err
    }
  }
}
