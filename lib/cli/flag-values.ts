import { InvalidOptionError } from '../errors.js'
import { byteSize } from './byte-size.js'

/**
 * A whole-number flag; `undefined` when not given. Ranges are the stages' to check.
 *
 * @example
 * ```ts
 * integer(values['max-records'], '--max-records') // 1000, or undefined
 * ```
 */
export function integer (value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new InvalidOptionError(flag, 'must be a whole number')
  return Number(value)
}

/**
 * Byte sizes: `1048576`, `64KiB`, `8MiB`, `1GiB` (or `k`, `m`, `g`; all powers of 1024).
 *
 * @example
 * ```ts
 * size('8MiB', '--part-size') // 8388608
 * ```
 */
export function size (value: string | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : byteSize(value, flag)
}

/** A string flag that may be absent but not empty. */
export function nonEmpty (value: string | undefined, flag: string): string | undefined {
  if (value === '') throw new InvalidOptionError(flag, 'must not be empty')
  return value
}
