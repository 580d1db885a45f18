/**
 * The time source of time-based stages. Injecting one lets tests move time
 * by hand instead of sleeping; production code uses {@link systemClock}.
 *
 * @example
 * ```ts
 * const clock: Clock = {
 *   now: () => fakeNow,
 *   setTimeout: (fn, ms) => myScheduler.add(fn, ms),
 *   clearTimeout: (handle) => myScheduler.remove(handle)
 * }
 * minuteWindow({ clock })
 * ```
 */
export interface Clock {
  /** Milliseconds since the Unix epoch, like `Date.now()`. */
  now (): number
  /** Calls `fn` once after `ms` milliseconds; returns a handle for `clearTimeout`. */
  setTimeout (fn: () => void, ms: number): unknown
  /** Cancels a pending `setTimeout`. */
  clearTimeout (handle: unknown): void
}

/**
 * The real clock: `Date.now` and the global timers.
 *
 * @example
 * ```ts
 * minuteWindow({ clock: systemClock }) // the default
 * ```
 */
export const systemClock: Clock = Object.freeze({
  now: () => Date.now(),
  setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms),
  clearTimeout: (handle: unknown) => { clearTimeout(handle as NodeJS.Timeout) }
})

/** The longest delay `setTimeout` honours (about 24.8 days); longer ones fire at once. */
export const MAX_TIMER_MS = 2 ** 31 - 1
