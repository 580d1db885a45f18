import { systemClock, type Clock } from '../../lib/clock.js'

/** The system clock, counting the timers set on it that have neither fired nor been cleared. */
export interface TrackingClock extends Clock {
  readonly live: number
}

export function trackingClock (): TrackingClock {
  const live = new Set<unknown>()
  return {
    now: systemClock.now,
    setTimeout (fn, ms) {
      const handle = systemClock.setTimeout(() => {
        live.delete(handle)
        fn()
      }, ms)
      live.add(handle)
      return handle
    },
    clearTimeout (handle) {
      live.delete(handle)
      systemClock.clearTimeout(handle)
    },
    get live () { return live.size }
  }
}
