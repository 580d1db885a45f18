import { MAX_TIMER_MS } from '../clock.js'
import { InvalidOptionError } from '../errors.js'

const UNITS: Readonly<Record<string, number>> = { '': 1, ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/**
 * A duration flag's value in ms: a number with a unit (`500ms`, `90s`, `5m`,
 * `1.5h`, `1d`) or a plain number of milliseconds. Throws
 * `InvalidOptionError` naming `flag` (never echoing the value) for anything
 * else, for a fraction of a millisecond, and outside 1 ms to `max`
 * (default: the longest timer Node runs, about 24.8 days).
 *
 * @example
 * ```ts
 * parseDuration('90s', '--window') // 90000
 * parseDuration('250', '--window') // 250
 * ```
 */
export function parseDuration (value: string, flag: string, max: number = MAX_TIMER_MS): number {
  const match = /^(\d+(?:\.\d+)?)\s*([a-z]*)$/i.exec(value.trim())
  const unit = UNITS[match?.[2]?.toLowerCase() ?? 'none']
  if (match === null || unit === undefined) throw new InvalidOptionError(flag, 'must be a duration such as 500ms, 90s, 5m, 1h or 1d (a plain number is milliseconds)')
  const ms = Number(match[1]) * unit
  if (!Number.isInteger(ms)) throw new InvalidOptionError(flag, 'must be a whole number of milliseconds')
  if (ms < 1 || ms > max) throw new InvalidOptionError(flag, `must be between 1 ms and ${max} ms (about ${+(max / 86_400_000).toFixed(1)} days)`)
  return ms
}
