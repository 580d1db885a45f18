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

/**
 * Whether `timeZone`'s offset from UTC changes during `year` (daylight
 * saving): its clocks then go back once, and an hour's date parts repeat.
 *
 * @example
 * ```ts
 * zoneShifts('Europe/Berlin') // true
 * zoneShifts('Asia/Tokyo') // false
 * ```
 */
export function zoneShifts (timeZone: string, year = new Date().getUTCFullYear()): boolean {
  const parts = dateFormatter(timeZone)
  const offset = (time: number): number => {
    const p = parts(time)
    return Date.UTC(Number(p.YYYY), Number(p.MM) - 1, Number(p.DD), Number(p.HH), Number(p.mm), Number(p.ss)) - time
  }
  const january = offset(Date.UTC(year, 0, 1))
  // Daylight saving lasts months: the first of each month sees it.
  for (let month = 1; month < 12; month++) if (offset(Date.UTC(year, month, 1)) !== january) return true
  return false
}
