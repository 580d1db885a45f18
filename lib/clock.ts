/**
 * The time source of time-based stages. Injecting one lets tests move time
 * by hand instead of sleeping; production code uses {@link systemClock}.
 *
 * @example
 * ```ts
 * // A clock 5 minutes behind, e.g. to replay a feed without late records:
 * const clock: Clock = {
 *   now: () => Date.now() - 5 * 60_000,
 *   setTimeout: (fn, ms) => setTimeout(fn, ms),
 *   clearTimeout: (handle) => { clearTimeout(handle as NodeJS.Timeout) }
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
