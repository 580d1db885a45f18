import type { Readable } from 'node:stream'
import { AbortMultipartUploadCommand, CompleteMultipartUploadCommand, PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3'
import { MultipartUpload } from './multipart-upload.js'
import { retrying, type AttemptLog, type RetryContext, type RetryNotice } from './retry-loop.js'
import type { RetryPolicy } from './retry-policy.js'
import { findSent } from './find-sent.js'
import { settledWithin } from './settled-within.js'
import { refused, isPreconditionFailed, type UploadOutcome } from './upload-outcome.js'
import { fullObjectChecksum, type ChecksumFields, type FullObjectChecksum } from './full-object-checksum.js'

export interface UploadJobOptions {
  client: S3Client
  /** With `IfNoneMatch: '*'`, an object already at the key (412) counts as stored. */
  params: Omit<PutObjectCommandInput, 'Body'> & { Bucket: string, Key: string }
  /** Goes through {@link MultipartUpload}: multipart above `partSize`, one PutObject below. */
  body: Readable
  partSize: number
  queueSize: number
  /** How long an abort waits for requests in flight before giving up on them, in ms. */
  abortTimeout: number
  retry: RetryPolicy
  /** Called before every retry of every request of the job. */
  onRetry: (notice: RetryNotice) => void
  /** Sending starts once this settles (an earlier upload to the same key). */
  after?: Promise<unknown>
}

/** A command as this job or its multipart upload hands it over: its class makes a fresh copy per attempt. */
interface AnyCommand { readonly input: object }
type CommandClass = new (input: object) => AnyCommand

/**
 * One object streamed into S3 through {@link MultipartUpload} (multipart above `partSize`, one PutObject
 * below). Every request is retried whole (all bodies it sends are Buffers) until it succeeds, fails
 * permanently or `retryFor` has passed since its first failure, and carries the job's abort signal, so an
 * abort cancels what is in flight instead of leaving it to run (and be retried) after the caller moved on.
 *
 * A CompleteMultipartUpload whose answer was lost (the retry then fails,
 * e.g. NoSuchUpload) ends as a success when HeadObject shows this very
 * object; with `IfNoneMatch: '*'`, a 412 says the key is taken and counts as
 * stored too (`alreadyPresent`). (An object already whole in memory, a Run
 * or a manifest, goes as a lighter `PutJob`.)
 *
 * A failed multipart upload is aborted here (by the caller, through
 * `abort()`), so a failing AbortMultipartUpload never replaces the error
 * that caused it: the caller must see the original one.
 */
export class UploadJob {
  readonly key: string
  /** Resolves when the upload has completed or failed; never rejects. */
  readonly settled: Promise<void>
  etag: string | undefined
  /** The store's checksum of the whole object, when it returned one (`ChecksumType: FULL_OBJECT`). */
  checksum: FullObjectChecksum | undefined
  /** Why the upload failed, once `settled`; `undefined` on success. */
  failure: unknown = undefined
  ok = false
  /** The object was found already stored (412 to a conditional write, or after a lost answer). */
  alreadyPresent = false
  /** Attempts of the request that failed for good, and how long after the job started it gave up. */
  failedAfter: { attempts: number, ms: number } | undefined
  /** A PutObject or CompleteMultipartUpload went out and its answer never came (or said nothing definite). */
  #maybeStored = false
  /** PutObject or CompleteMultipartUpload attempts on the wire. */
  #committing = 0
  /** AbortMultipartUpload succeeded: no part of this upload is left in the store. */
  #partsRemoved = false
  readonly #o: UploadJobOptions
  #upload: MultipartUpload | null = null
  /** Cancels every request of this job. */
  readonly #cancel = new AbortController()
  #requestFailure: unknown = undefined
  #giveUp: NodeJS.Timeout | undefined

  constructor (options: UploadJobOptions) {
    this.#o = options
    this.key = options.params.Key
    const started = options.after === undefined ? this.#start() : options.after.then(() => this.#start(), () => this.#start())
    this.settled = started.then((answer) => {
      // A caller's stub client may answer nothing.
      const result = answer ?? {}
      this.ok = true
      this.etag = result.ETag
      // Responses carry more than the ETag typed here; a manifest wants the store's own checksum.
      this.checksum = fullObjectChecksum(result as ChecksumFields)
    }, (err: unknown) => {
      // After giving up on a stalled part, the request that failed for good is the cause, not our abort.
      this.failure = this.#requestFailure ?? err
    }).finally(() => { clearTimeout(this.#giveUp) })
  }

  async #start (): Promise<{ ETag?: string } | undefined> {
    if (this.#cancel.signal.aborted) throw this.#cancel.signal.reason
    const { client, params, body, partSize, queueSize } = this.#o
    this.#upload = new MultipartUpload({ client, params, body, partSize, queueSize, send: async (command) => await this.#send(command) })
    return await this.#upload.done()
  }

  /**
   * Sends one request with retries. A request that failed for good starts the `abortTimeout` clock: a failed
   * part is reported once every other part in flight has settled, and one stalled request would hold it back.
   */
  async #send (command: AnyCommand): Promise<unknown> {
    const { client, retry } = this.#o
    const signal = this.#cancel.signal
    const input = { ...command.input }
    const Ctor = command.constructor as CommandClass
    const ctx: RetryContext = { policy: retry, signal, onRetry: (notice) => { this.#o.onRetry(notice) } }
    const log: AttemptLog = { attempts: 0, ambiguous: false }
    const completes = command instanceof CompleteMultipartUploadCommand
    // The requests that make an object visible: once one is out, only its answer says whether it did.
    const commits = completes || command instanceof PutObjectCommand
    // A fresh command per attempt: middleware may annotate the one it sent.
    const send = client.send.bind(client) as (command: unknown, options: { abortSignal: AbortSignal }) => Promise<unknown>
    const options = { abortSignal: signal }
    const attempt = async (): Promise<unknown> => {
      if (signal.aborted) throw signal.reason
      if (commits) this.#committing++
      try {
        return await send(new Ctor({ ...input }), options)
      } catch (err) {
        if (commits && !refused(err)) this.#maybeStored = true
        // After a Complete whose answer may have been lost, stores answer the
        // retry with NoSuchUpload (S3) or a 500 (s3rver): look before retrying on.
        const upload = this.#upload
        if (completes && log.ambiguous && !signal.aborted && upload !== null) {
          const found = await findSent(client, this.#o.params, { bytes: upload.bytes, md5: () => upload.md5(), partEtags: upload.partEtags }, ctx)
          if (found !== null) return found
        }
        throw err
      } finally {
        if (commits) this.#committing--
      }
    }
    try {
      return await retrying(attempt, ctx, log)
    } catch (err) {
      if (!signal.aborted && this.#o.params.IfNoneMatch !== undefined && isPreconditionFailed(err) &&
        (completes || command instanceof PutObjectCommand)) {
        // The key was taken before our write: delivered by an earlier one.
        this.alreadyPresent = true
        // The parts we stored are of no use (best effort).
        if (completes) await this.#removeParts()
        return { ETag: undefined }
      }
      if (this.#requestFailure === undefined && !signal.aborted) {
        this.#requestFailure = err
        this.failedAfter = { attempts: log.attempts, ms: retry.clock.now() - (log.startedAt ?? retry.clock.now()) }
        if (this.#upload !== null) this.#giveUp = setTimeout(() => { this.#cancel.abort(err); this.#upload?.abort() }, this.#o.abortTimeout)
      }
      throw err
    }
  }

  /** What became of the object, as far as the store's answers tell (read it once settled, after `abort()` if it failed). */
  get outcome (): UploadOutcome {
    if (this.ok) return 'stored'
    if (this.#maybeStored || this.#committing > 0) return 'unknown'
    if (this.#upload?.uploadId !== undefined && !this.#partsRemoved) return 'parts-left'
    return 'not-stored'
  }

  /** Bytes sent as the object's body. */
  get bytes (): number {
    return this.#upload?.bytes ?? 0
  }

  /**
   * Stops the upload and removes its stored parts. Resolves once done, with
   * the error of AbortMultipartUpload if that failed; never rejects.
   */
  async abort (reason: Error): Promise<unknown> {
    const body = this.#o.body
    // Only a body this job has started reading is ours to stop (as the stream feeding it).
    if (this.#upload !== null && !body.destroyed) body.destroy(reason)
    this.#cancel.abort(reason)
    if (!await settledWithin(this.settled, this.#o.abortTimeout)) {
      // A request hanging past abortTimeout: stop waiting for it.
      if (this.#upload === null) {
        this.failure ??= reason
        return undefined
      }
      this.#upload.abort() // done() rejects at once; the Abort below discards the part
      await this.settled
    }
    return this.ok ? undefined : await this.#removeParts()
  }

  /** AbortMultipartUpload of the parts stored so far, if any; resolves with its error, never rejects. */
  async #removeParts (): Promise<unknown> {
    const UploadId = this.#upload?.uploadId
    if (UploadId === undefined) return undefined
    try {
      await this.#o.client.send(new AbortMultipartUploadCommand({ Bucket: this.#o.params.Bucket, Key: this.key, UploadId }))
      this.#partsRemoved = true
      return undefined
    } catch (err) {
      return err
    }
  }
}
