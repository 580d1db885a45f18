import { InvalidOptionError } from '../errors.js'
import { validateString } from './validate.js'

/** The date placeholders of a key template. */
export const DATE_PARTS = ['YYYY', 'MM', 'DD', 'HH', 'mm', 'ss'] as const
export type DatePart = typeof DATE_PARTS[number]

/** The IANA zone as `Intl` names it (`UTC` when none is given); throws `InvalidOptionError` naming `name` for an unknown one. */
export function validateTimeZone (value: unknown, name: string): string {
  const zone = validateString(value, name) ?? 'UTC'
  try {
    return new Intl.DateTimeFormat('en-US', { timeZone: zone }).resolvedOptions().timeZone
  } catch {
    throw new InvalidOptionError(name, 'must be an IANA time zone such as "UTC" or "Europe/Berlin"')
  }
}

const pad = (n: number, width = 2): string => String(n).padStart(width, '0')

/**
 * The date parts of a time in `timeZone`, zero-padded as keys show them.
 * UTC is computed directly; other zones go through `Intl` (built once).
 *
 * @example
 * ```ts
 * dateFormatter('Europe/Berlin')(Date.UTC(2026, 10, 25, 23, 30)).DD // '26'
 * ```
 */
export function dateFormatter (timeZone: string): (time: number) => Record<DatePart, string> {
  if (timeZone === 'UTC') {
    return (time) => {
      const d = new Date(time)
      return {
        YYYY: pad(d.getUTCFullYear(), 4),
        MM: pad(d.getUTCMonth() + 1),
        DD: pad(d.getUTCDate()),
        HH: pad(d.getUTCHours()),
        mm: pad(d.getUTCMinutes()),
        ss: pad(d.getUTCSeconds())
      }
    }
  }
  const format = new Intl.DateTimeFormat('en-US', {
    timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit', hourCycle: 'h23'
  })
  return (time) => {
    const got: Record<string, string> = {}
    for (const { type, value } of format.formatToParts(time)) got[type] = value
    return { YYYY: pad(Number(got.year), 4), MM: got.month!, DD: got.day!, HH: got.hour!, mm: got.minute!, ss: got.second! }
  }
}

/** Zones' answers of {@link zoneShifts}, by zone and year: a scan is ~1,500 `Intl` calls (1 – 5 ms). */
const shifts = new Map<string, boolean>()
const DAY = 86_400_000

/**
 * Whether `timeZone`'s offset from UTC changes at any time from the start
 * of the year before `year` to the end of the second year after it
 * (daylight saving, or a zone moving its standard time): its clocks then
 * go back at some point, and an hour's date parts repeat. Sampled once a
 * day, so a daylight saving period as short as Morocco's Ramadan one is
 * seen, and so is a zone that starts or stops it in a year next to this
 * one (a sink runs on into the next year; late records come from the last).
 *
 * @example
 * ```ts
 * zoneShifts('Europe/Berlin') // true
 * zoneShifts('Asia/Tokyo') // false
 * ```
 */
export function zoneShifts (timeZone: string, year = new Date().getUTCFullYear()): boolean {
  const cacheKey = `${timeZone} ${year}`
  let answer = shifts.get(cacheKey)
  if (answer === undefined) {
    answer = offsetChanges(timeZone, Date.UTC(year - 1, 0, 1), Date.UTC(year + 3, 0, 1))
    shifts.set(cacheKey, answer)
  }
  return answer
}

function offsetChanges (timeZone: string, from: number, to: number): boolean {
  // 'M/D/YYYY, GMT+01:00': the offset alone, by format(), a tenth of formatToParts()' cost over ~1,500 days.
  const format = new Intl.DateTimeFormat('en-US', { timeZone, timeZoneName: 'longOffset' })
  const offset = (time: number): string => {
    const text = format.format(time)
    return text.slice(text.lastIndexOf(' ') + 1)
  }
  const first = offset(from)
  for (let time = from + DAY; time < to; time += DAY) if (offset(time) !== first) return true
  return false
}
