import { InvalidOptionError } from '../errors.js'

const UNITS: Record<string, number> = { '': 1, k: 1024, kib: 1024, m: 1024 ** 2, mib: 1024 ** 2, g: 1024 ** 3, gib: 1024 ** 3 }

/**
 * A byte size as the CLI writes it: `1048576`, `64KiB`, `8MiB`, `1GiB` (or
 * `k`, `m`, `g`; all powers of 1024). The error names `flag`, never the value.
 *
 * @example
 * ```ts
 * byteSize('8MiB', '--part-size') // 8388608
 * ```
 */
export function byteSize (value: string, flag: string): number {
  const match = /^(\d+)\s*([a-z]*)$/i.exec(value)
  const unit = UNITS[match?.[2]?.toLowerCase() ?? 'none']
  if (match === null || unit === undefined) throw new InvalidOptionError(flag, 'must be a byte count such as 1048576, 64KiB, 8MiB or 1GiB')
  return Number(match[1]) * unit
}
