import { EventTimeError, InvalidOptionError } from '../errors.js'
import { readPath } from './key-segment.js'

/** Event times are accepted from the epoch to the end of year 9999 (UTC): what a key's `{YYYY}` can show. */
export const MAX_EVENT_TIME = Date.UTC(9999, 11, 31, 23, 59, 59, 999)

/**
 * The watermark of an event-time window stage: the largest event time seen
 * minus `allowedLatenessMs`. A window whose end is at or below the watermark
 * is closed for good; a record for it is late.
 */
export class Watermark {
  readonly #windowMs: number
  readonly #latenessMs: number
  #maxSeen = -Infinity

  constructor (windowMs: number, allowedLatenessMs: number) {
    this.#windowMs = windowMs
    this.#latenessMs = allowedLatenessMs
  }

  /** `-Infinity` until the first record. */
  get value (): number {
    return this.#maxSeen - this.#latenessMs
  }

  /** Start of the window `time` falls in (aligned to UTC multiples of windowMs). */
  windowOf (time: number): number {
    return time - (time % this.#windowMs)
  }

  /** Whether a record at `time` is later than allowed: its window has already closed. */
  isLate (time: number): boolean {
    return this.windowOf(time) + this.#windowMs <= this.value
  }

  /** Takes a record's time into account; returns whether the watermark moved. */
  observe (time: number): boolean {
    if (time <= this.#maxSeen) return false
    this.#maxSeen = time
    return true
  }
}

/** Checks what `timeOf` returned; throws {@link EventTimeError} when it is unusable. */
export function checkEventTime (value: unknown, index: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value)) throw new EventTimeError(index, `timeOf returned ${typeof value === 'number' ? String(value) : `a ${typeof value}`}`)
  if (value < 0 || value > MAX_EVENT_TIME) throw new EventTimeError(index, `${value} ms is outside 1970-01-01 to 9999-12-31`)
  return Math.floor(value)
}

/**
 * The `timeOf` of `--time-field PATH`: reads a dotted path holding epoch ms
 * (a number) or an ISO-8601 date-time string with a zone (`Z` or `+hh:mm`).
 * Anything else gives `NaN`, which the window reports as `ERR_EVENT_TIME`.
 */
export function timeField (path: string, name: string): (record: unknown) => number {
  const names = path.split('.')
  if (path === '' || names.some((n) => n === '' || n === '__proto__' || n === 'constructor' || n === 'prototype')) {
    throw new InvalidOptionError(name, 'must be a dotted field path such as meta.time')
  }
  return (record) => {
    const value = readPath(record, names)
    if (typeof value === 'number') return value
    if (typeof value === 'string' && ISO.test(value)) return Date.parse(value)
    return NaN
  }
}

const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2})$/
