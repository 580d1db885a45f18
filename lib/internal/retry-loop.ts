import type { Clock } from '../clock.js'
import { backoffDelay, classifyFailure, type FailureKind, type RetryPolicy } from './retry-policy.js'

/** One retry about to happen: what the sinks' `'retry'` event carries, plus the failure's kind. */
export interface RetryNotice {
  /** The attempt that failed, counting from 1. */
  attempt: number
  /** How long before the next attempt, in ms. */
  delayMs: number
  /** Why it failed. */
  error: unknown
  kind: FailureKind
}

/** One request's attempts so far; the caller reads them when the request fails for good. */
export interface AttemptLog {
  attempts: number
  /** When the first attempt started (`policy.clock`), once it has. */
  startedAt?: number
  /** Some attempt failed in a way that leaves its effect unknown (the store may have acted on it). */
  ambiguous: boolean
}

export interface RetryContext {
  policy: RetryPolicy
  /** Cancels the wait and the next attempt. */
  signal: AbortSignal
  onRetry: (notice: RetryNotice) => void
}

/**
 * Calls `attempt` until it resolves, a failure is permanent, the next try
 * would start more than `retryFor` after the first failure, or `maxAttempts`
 * is reached; then rejects with the last failure. Waits {@link backoffDelay}
 * between attempts on the policy's clock, so no per-client budget can stop
 * the retries early. The window opens at the first failure, not at the
 * first attempt: a part sent an hour into a long upload still gets all of it.
 * `first`, when given, is a first attempt the caller already made and saw
 * fail (a fast path that enters the loop only on failure).
 *
 * @example
 * ```ts
 * const log = { attempts: 0, ambiguous: false }
 * await retrying(() => client.send(new PutObjectCommand(input), { abortSignal }), ctx, log)
 * ```
 */
export async function retrying<T> (attempt: () => Promise<T>, ctx: RetryContext, log: AttemptLog, first?: { failure: unknown }): Promise<T> {
  const { policy } = ctx
  let deadline: number | undefined
  log.startedAt ??= policy.clock.now()
  for (let retry = 0; ; retry++) {
    try {
      log.attempts++
      if (retry === 0 && first !== undefined) throw first.failure
      return await attempt()
    } catch (err) {
      const kind = classifyFailure(err)
      if (kind === 'transient') log.ambiguous = true
      if (kind === 'permanent' || ctx.signal.aborted || log.attempts >= policy.maxAttempts) throw err
      const delayMs = backoffDelay(retry, kind, policy.random)
      const now = policy.clock.now()
      deadline ??= now + policy.retryFor
      // `>=`: with retryFor 0 even a zero wait is past the deadline.
      if (now + delayMs >= deadline) throw err
      ctx.onRetry({ attempt: log.attempts, delayMs, error: err, kind })
      await sleep(policy.clock, delayMs, ctx.signal)
    }
  }
}

/** Resolves after `ms` on `clock`; rejects with the signal's reason once it aborts. */
export async function sleep (clock: Clock, ms: number, signal: AbortSignal): Promise<void> {
  if (signal.aborted) throw signal.reason
  await new Promise<void>((resolve, reject) => {
    const onAbort = (): void => {
      clock.clearTimeout(timer)
      reject(signal.reason)
    }
    const timer = clock.setTimeout(() => {
      signal.removeEventListener('abort', onAbort)
      resolve()
    }, ms)
    signal.addEventListener('abort', onAbort, { once: true })
  })
}
