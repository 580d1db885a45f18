/** Reconnect and retry delays of the log sources. */
export interface Backoff {
  /** First delay, in ms. */
  minMs: number
  /** Largest delay, in ms. */
  maxMs: number
}

export const DEFAULT_BACKOFF: Readonly<Backoff> = Object.freeze({ minMs: 100, maxMs: 5_000 })

/**
 * The delay before retry number `attempt` (1, 2, ...): doubling from
 * `minMs`, capped at `maxMs`, with full jitter so that workers cut off by the
 * same outage do not all come back in the same millisecond.
 */
export function backoffDelay (attempt: number, backoff: Backoff = DEFAULT_BACKOFF, random: () => number = Math.random): number {
  const ceiling = Math.min(backoff.maxMs, backoff.minMs * 2 ** Math.min(attempt - 1, 30))
  return Math.max(backoff.minMs, Math.round(ceiling * random()))
}
