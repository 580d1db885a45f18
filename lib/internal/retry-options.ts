import type { S3Client } from '@aws-sdk/client-s3'
import type { Clock } from '../clock.js'
import { attemptCapOf } from './s3-client.js'
import { RETRY_DEFAULTS, type RetryPolicy } from './retry-policy.js'
import { validateInteger } from './validate.js'

/** The longest `retryFor` accepted: a week, far beyond any brownout, and still a valid timer. */
const MAX_RETRY_FOR = 7 * 24 * 3600_000

/**
 * `retryFor` of a sink, in ms: 0 (no retries by this package) up to a week;
 * default 15 minutes.
 *
 * @example
 * ```ts
 * validateRetryFor(options.retryFor, 'options.retryFor') // 900000 when not given
 * ```
 */
export function validateRetryFor (value: unknown, name: string): number {
  return validateInteger(value, name, 0, MAX_RETRY_FOR) ?? RETRY_DEFAULTS.retryFor
}

/**
 * The retry policy of a sink's uploads through `client`: `retryFor`, the
 * attempt cap the client was built with (none for a client of the caller),
 * and `clock` for the waits and the deadline.
 *
 * @example
 * ```ts
 * const policy = retryPolicyFor(client, 900_000, systemClock)
 * ```
 */
export function retryPolicyFor (client: S3Client, retryFor: number, clock: Clock, random: () => number = Math.random): RetryPolicy {
  return { retryFor, maxAttempts: attemptCapOf(client) ?? Infinity, clock, random }
}
