import type { Clock } from '../clock.js'

/**
 * What a failed request tells us:
 * - `throttle`: the store asks us to slow down (SlowDown, 503, 429); retry, and send less at once;
 * - `transient`: it may work next time (5xx, timeouts, resets, a 409 conditional-write conflict);
 * - `permanent`: it will fail the same way again (403, 404, 400...), so fail now.
 */
export type FailureKind = 'throttle' | 'transient' | 'permanent'

/** How the uploads of one sink retry. */
export interface RetryPolicy {
  /** How long after an object's first request its requests may still be retried, in ms. */
  retryFor: number
  /** Attempts per request at most (first try included); `Infinity` leaves it to `retryFor`. */
  maxAttempts: number
  /** Sleeps between attempts and measures the deadline. */
  clock: Clock
  /** Source of the jitter, in [0, 1). */
  random: () => number
}

export const RETRY_DEFAULTS = Object.freeze({
  /** Long enough to ride out a brownout of several minutes. */
  retryFor: 15 * 60_000,
  /** First backoff for a transient error, doubled per retry. */
  baseMs: 100,
  /** First backoff under throttling: the store asked for less, not for the same again. */
  throttleBaseMs: 1000,
  /** No single wait is longer, so a recovered store is noticed within this. */
  capMs: 20_000
})

const THROTTLING = new Set([
  'SlowDown', 'Throttling', 'ThrottlingException', 'ThrottledException', 'RequestThrottled', 'RequestThrottledException',
  'TooManyRequestsException', 'RequestLimitExceeded', 'ProvisionedThroughputExceededException', 'BandwidthLimitExceeded',
  'TransactionInProgressException', 'EC2ThrottledException', 'PriorRequestNotComplete'
])
const TRANSIENT_NAMES = new Set([
  'TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'InternalError', 'ServiceUnavailable',
  'ConditionalRequestConflict', 'OperationAborted'
])
/** Network failures on the way to a store that exists; ENOTFOUND is left out: a mistyped endpoint would retry for `retryFor`. */
const NETWORK_CODES = new Set([
  'ECONNRESET', 'ECONNREFUSED', 'ECONNABORTED', 'EPIPE', 'ETIMEDOUT', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN',
  'ERR_HTTP2_STREAM_ERROR', 'ERR_STREAM_PREMATURE_CLOSE'
])

interface ErrorLike { name?: unknown, code?: unknown, $metadata?: { httpStatusCode?: unknown }, $retryable?: { throttling?: boolean } }

/**
 * Sorts a failed request into {@link FailureKind}. Anything not known to be
 * worth another try is permanent, so a bug or a bad request fails fast.
 *
 * @example
 * ```ts
 * classifyFailure(slowDownError) // 'throttle'
 * classifyFailure(accessDenied) // 'permanent'
 * ```
 */
export function classifyFailure (err: unknown): FailureKind {
  if (typeof err !== 'object' || err === null) return 'permanent'
  const e = err as ErrorLike
  const name = typeof e.name === 'string' ? e.name : ''
  const code = typeof e.code === 'string' ? e.code : ''
  const status = typeof e.$metadata?.httpStatusCode === 'number' ? e.$metadata.httpStatusCode : undefined
  if (name === 'AbortError') return 'permanent'
  if (THROTTLING.has(name) || THROTTLING.has(code) || status === 429 || status === 503 || e.$retryable?.throttling === true) return 'throttle'
  if (TRANSIENT_NAMES.has(name) || TRANSIENT_NAMES.has(code) || NETWORK_CODES.has(code)) return 'transient'
  if (status === 500 || status === 502 || status === 504) return 'transient'
  // The SDK marks a few more (a 200 CompleteMultipartUpload carrying an <Error>) as retryable.
  if (e.$retryable !== undefined) return 'transient'
  return 'permanent'
}

/**
 * Capped exponential backoff with full jitter: a random wait in
 * `[0, min(cap, base × 2^retry))`, so clients that failed together do not
 * come back together. `retry` counts from 0.
 *
 * @example
 * ```ts
 * backoffDelay(0, 'transient', Math.random) // 0..100 ms
 * backoffDelay(3, 'throttle', Math.random)  // 0..8000 ms
 * ```
 */
export function backoffDelay (retry: number, kind: FailureKind, random: () => number): number {
  const base = kind === 'throttle' ? RETRY_DEFAULTS.throttleBaseMs : RETRY_DEFAULTS.baseMs
  const ceiling = Math.min(RETRY_DEFAULTS.capMs, base * 2 ** Math.min(retry, 30))
  return Math.floor(random() * ceiling)
}
