import type { Clock } from '../../lib/clock.js'

/** A clock whose waits take no real time: `now()` jumps ahead to each wait's end instead. */
export interface FastClock extends Clock {
  /** Time skipped by waits so far, in ms. */
  readonly skipped: number
}

/**
 * Real time plus the waits it skipped. Each wait fires on the next
 * macrotask and moves `now()` to at least the wait's end, so waits that
 * overlap overlap in virtual time too (four 10 s waits at once cost 10 s, not
 * 40). Deadlines and backoff sequences behave as they would over minutes, in
 * milliseconds; timers can still be cleared.
 */
export function fastClock (): FastClock {
  let skipped = 0
  const now = (): number => Date.now() + skipped
  return {
    now,
    setTimeout (fn, ms) {
      const due = now() + Math.max(0, ms)
      return setTimeout(() => {
        skipped += Math.max(0, due - now())
        fn()
      }, 0)
    },
    clearTimeout (handle) { clearTimeout(handle as NodeJS.Timeout) },
    get skipped () { return skipped }
  }
}
