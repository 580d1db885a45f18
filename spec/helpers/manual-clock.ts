import type { Clock } from '../../lib/clock.js'

/** A clock that moves only when told: `advance(ms)` fires due timers in order. */
export interface ManualClock extends Clock {
  advance (ms: number): void
  set (now: number): void
  /** Timers still pending. */
  readonly pending: number
}

export function manualClock (start = Date.UTC(2026, 10, 25, 14, 3, 7)): ManualClock {
  let now = start
  let nextId = 1
  const timers = new Map<number, { at: number, fn: () => void }>()
  const fireDue = (): void => {
    for (;;) {
      let due: [number, { at: number, fn: () => void }] | undefined
      for (const entry of timers) if (entry[1].at <= now && (due === undefined || entry[1].at < due[1].at)) due = entry
      if (due === undefined) return
      timers.delete(due[0])
      due[1].fn()
    }
  }
  return {
    now: () => now,
    setTimeout (fn, ms) { const id = nextId++; timers.set(id, { at: now + Math.max(0, ms), fn }); return id },
    clearTimeout (handle) { timers.delete(handle as number) },
    advance (ms) { now += ms; fireDue() },
    set (value) { now = value; fireDue() },
    get pending () { return timers.size }
  }
}
