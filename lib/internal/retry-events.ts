import type { EventEmitter } from 'node:events'
import { redact } from './redact.js'
import type { RetryNotice } from './retry-loop.js'

/**
 * What the sinks' `'retry'` event carries, before every retry of a request
 * (`s3Writable()`, `createS3Sink()`, `createS3Destination()`).
 *
 * @example
 * ```ts
 * sink.on('retry', ({ key, attempt, delayMs, error }: UploadRetry) => {
 *   console.warn(`${key}: attempt ${attempt} failed (${(error as Error).name}), retrying in ${delayMs} ms`)
 * })
 * ```
 */
export interface UploadRetry {
  /** Key of the object whose request failed. */
  key: string
  /** The attempt that failed, from 1; the retry is attempt `attempt + 1`. */
  attempt: number
  /** Wait before the retry, in ms. */
  delayMs: number
  /** Why the attempt failed (the AWS error, without its raw HTTP response). */
  error: unknown
}

/**
 * The `onRetry` of an upload job: emits `'retry'` on `sink` and tells the
 * job pool about throttling, so it uploads fewer objects at once.
 *
 * @example
 * ```ts
 * new UploadJob({ ..., onRetry: retryReporter(key, sink, pool) })
 * ```
 */
export function retryReporter (key: string, sink: EventEmitter, pool: { throttled: () => void }): (notice: RetryNotice) => void {
  return ({ attempt, delayMs, error, kind }) => {
    if (kind === 'throttle') pool.throttled()
    // redact(): the raw HTTP response of an SDK error reaches the request's headers (session token).
    const retry: UploadRetry = { key, attempt, delayMs, error: redact(error) }
    sink.emit('retry', retry)
  }
}
