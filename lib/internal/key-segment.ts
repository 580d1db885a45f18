import { createHash } from 'node:crypto'

/** Values longer than this are shortened, keeping a hash so distinct values stay distinct. */
export const MAX_SEGMENT_BYTES = 128

/** The folder a record goes to when the template's field is absent, empty, or not a scalar. */
export const MISSING_FIELD_FOLDER = '_missing'

// Characters that split a key into folders (`/`, `\`), start an escape (`%`),
// or that Hive, Athena and shells treat specially in a partition folder.
// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u001f\u007f%/\\=#?*:"'<>|{}[\]^]/g

/**
 * One key segment from a record field's value: a string, a finite number or
 * a boolean, percent-encoded where unsafe (`a/b` → `a%2Fb`, `..` → `%2E%2E`)
 * and capped at {@link MAX_SEGMENT_BYTES} bytes (a head, `~`, 32 hex of the
 * whole value's SHA-256). Anything else (absent, `null`, `''`, an object)
 * gives {@link MISSING_FIELD_FOLDER}, never an empty segment.
 */
export function fieldSegment (value: unknown): string {
  let text: string
  if (typeof value === 'string') text = value
  else if (typeof value === 'number' && Number.isFinite(value)) text = String(value)
  else if (typeof value === 'boolean') text = String(value)
  else return MISSING_FIELD_FOLDER
  if (text === '') return MISSING_FIELD_FOLDER
  let out = text.replace(UNSAFE, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
  if (out === '.' || out === '..') out = out.replaceAll('.', '%2E')
  if (Buffer.byteLength(out) <= MAX_SEGMENT_BYTES) return out
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 32)
  let head = ''
  for (const char of out) {
    if (Buffer.byteLength(head + char) > MAX_SEGMENT_BYTES - hash.length - 1) break
    head += char
  }
  return `${head}~${hash}`
}

/** Reads `a.b.c` from a record; own properties only, so `__proto__` or `constructor` never reach prototypes. */
export function readPath (record: unknown, path: readonly string[]): unknown {
  let value: unknown = record
  for (const name of path) {
    if (value === null || typeof value !== 'object' || !Object.hasOwn(value, name)) return undefined
    value = (value as Record<string, unknown>)[name]
  }
  return value
}
