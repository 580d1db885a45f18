import type { Clock } from '../clock.js'
import { InvalidOptionError } from '../errors.js'

// Each check throws synchronously, naming the option the way the caller wrote
// it, so a factory fails at the line that built it rather than mid-stream.

export function validateObject (value: unknown, name: string): asserts value is Record<string, unknown> | undefined {
  if (value === undefined) return
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    throw new InvalidOptionError(name, `must be an object, got ${typeName(value)}`)
  }
}

export function validateInteger (value: unknown, name: string, min: number, max = Number.MAX_SAFE_INTEGER): number | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value)) {
    throw new InvalidOptionError(name, `must be an integer, got ${typeName(value)}`)
  }
  if (value < min || value > max) {
    throw new InvalidOptionError(name, `must be between ${min} and ${max}, got ${value}`)
  }
  return value
}

export function validateBoolean (value: unknown, name: string): boolean | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'boolean') throw new InvalidOptionError(name, `must be a boolean, got ${typeName(value)}`)
  return value
}

export function validateString (value: unknown, name: string, { empty = false } = {}): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string') throw new InvalidOptionError(name, `must be a string, got ${typeName(value)}`)
  if (!empty && value.length === 0) throw new InvalidOptionError(name, 'must not be empty')
  return value
}

/**
 * A bucket's name: a non-empty string with no `/` (`my-bucket/runs` is a
 * bucket and a prefix: the SDK would refuse it at the first upload), nor
 * whitespace or control characters, which no store's names have.
 */
export function validateBucket (value: unknown, name: string): string | undefined {
  const bucket = validateString(value, name)
  if (bucket?.includes('/') === true) throw new InvalidOptionError(name, 'must be a bucket name without "/" (a key prefix has its own option)')
  // eslint-disable-next-line no-control-regex
  if (bucket !== undefined && /[\s\x00-\x1f\x7f]/.test(bucket)) throw new InvalidOptionError(name, 'must not contain whitespace or control characters')
  return bucket
}

/**
 * A credential: a non-empty string. Unlike {@link validateString} the message
 * never describes the value beyond its kind, since a secret given as a number
 * or a boolean would otherwise be printed.
 */
export function validateSecret (value: unknown, name: string): string | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'string' || value.length === 0) {
    throw new InvalidOptionError(name, `must be a non-empty string, got ${kindName(value)}`)
  }
  return value
}

export function validateFunction<F extends (...args: never[]) => unknown> (value: unknown, name: string): F | undefined {
  if (value === undefined) return undefined
  if (typeof value !== 'function') throw new InvalidOptionError(name, `must be a function, got ${typeName(value)}`)
  return value as F
}

export function validateStringArray (value: unknown, name: string): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) throw new InvalidOptionError(name, `must be an array of strings, got ${typeName(value)}`)
  // An index loop, not forEach: holes and undefined items must fail too, not read as "absent".
  for (let i = 0; i < value.length; i++) {
    const item: unknown = value[i]
    if (typeof item !== 'string') throw new InvalidOptionError(`${name}[${i}]`, `must be a string, got ${typeName(item)}`)
    validateString(item, `${name}[${i}]`)
  }
  return [...(value as string[])]
}

export function validateOneOf<T extends string> (value: unknown, name: string, allowed: readonly T[]): T | undefined {
  if (value === undefined) return undefined
  if (!allowed.includes(value as T)) {
    throw new InvalidOptionError(name, `must be one of ${allowed.map((a) => JSON.stringify(a)).join(', ')}, got ${typeName(value)}`)
  }
  return value as T
}

/** A {@link Clock}: an object with `now`, `setTimeout` and `clearTimeout` functions. */
export function validateClock (value: unknown, name: string): Clock | undefined {
  if (value === undefined) return undefined
  validateObject(value, name)
  for (const fn of ['now', 'setTimeout', 'clearTimeout']) {
    if (typeof value[fn] !== 'function') throw new InvalidOptionError(`${name}.${fn}`, 'must be a function')
  }
  return value as unknown as Clock
}

/**
 * Rejects keys the factory does not know, so a typo never passes silently:
 * the error names the key and the nearest known one (`did you mean
 * windowMs?`), or lists the known ones when none is near.
 */
export function validateKnownKeys (value: object, name: string, known: readonly string[], noun = 'option'): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue
    throw new InvalidOptionError(`${name}.${key}`, unknownKeyMessage(key, known, noun))
  }
}

/** `is not a known option; did you mean windowMs?`, or the list of known names. */
export function unknownKeyMessage (key: string, known: readonly string[], noun = 'option'): string {
  const near = nearestName(key, known)
  return near === undefined
    ? `is not a known ${noun} (known: ${known.join(', ')})`
    : `is not a known ${noun}; did you mean ${near}?`
}

/**
 * The known name a mistyped one most likely meant: the same but for case, one
 * that starts the other (`skipOnFailure` → `skipOnFail`), or the closest by
 * edit distance when at most a third of it differs (one edit for short names).
 */
export function nearestName (key: string, known: readonly string[]): string | undefined {
  const lower = key.toLowerCase()
  const same = known.find((k) => k.toLowerCase() === lower)
  if (same !== undefined) return same
  const prefix = known.find((k) => lower.length >= 3 && (lower.startsWith(k.toLowerCase()) || k.toLowerCase().startsWith(lower)))
  if (prefix !== undefined) return prefix
  let best: string | undefined
  // Below three characters, any name is one or two edits from another.
  let bestDistance = (key.length < 3 ? 0 : Math.max(1, Math.floor(key.length / 3))) + 1
  for (const k of known) {
    const d = editDistance(lower, k.toLowerCase())
    if (d < bestDistance) { best = k; bestDistance = d }
  }
  return best
}

/** Levenshtein distance, with a swap of two neighbours counting as one edit. */
function editDistance (a: string, b: string): number {
  const rows = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => i === 0 ? j : j === 0 ? i : 0))
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const row = rows[i] as number[]
      const up = rows[i - 1] as number[]
      let d = Math.min((up[j] as number) + 1, (row[j - 1] as number) + 1, (up[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1))
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) d = Math.min(d, (rows[i - 2] as number[])[j - 2] as number + 1)
      row[j] = d
    }
  }
  return (rows[a.length] as number[])[b.length] as number
}

/**
 * Prefixes and keys: S3 accepts almost anything, but a leading `/`, a `..`
 * segment, an empty segment (`a//b`), a trailing `/` or a control character
 * makes keys that tools mishandle and that MinIO refuses at the first upload
 * (`XMinioInvalidObjectName`). A prefix's trailing slashes are stripped
 * before it gets here.
 */
export function validateKeyText (value: string, name: string): void {
  if (/[\u0000-\u001f\u007f]/.test(value)) throw new InvalidOptionError(name, 'must not contain control characters')
  if (value.startsWith('/')) throw new InvalidOptionError(name, 'must not start with "/"')
  if (value.includes('//')) throw new InvalidOptionError(name, 'must not contain an empty folder ("//"): MinIO refuses such keys, and AWS shows a folder named ""')
  if (value.endsWith('/')) throw new InvalidOptionError(name, 'must not end with "/": such a key is a folder marker, not an object, to MinIO and most tools')
  if (value.split('/').some((segment) => segment === '..' || segment === '.')) {
    throw new InvalidOptionError(name, 'must not contain "." or ".." segments')
  }
  if (Buffer.byteLength(value) > 1024) throw new InvalidOptionError(name, 'must be at most 1024 bytes')
}

/** The kind of a value (`a number`, `an object`), never any part of the value itself. */
export function kindName (value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'string') return value === '' ? 'an empty string' : 'a string'
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}

/** Describes a value for an error message without printing its contents (numbers and booleans are shown). */
export function typeName (value: unknown): string {
  if (value === null || value === undefined) return String(value)
  if (Array.isArray(value)) return 'an array'
  if (typeof value === 'number') return Number.isNaN(value) ? 'NaN' : String(value)
  if (typeof value === 'boolean') return String(value)
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`
}
