import { SerializationError, describe } from '../errors.js'
import { typeName } from './validate.js'

/**
 * Turns one record into its JSON text; must not contain a raw newline, nor
 * be blank (a line that holds no record).
 *
 * @example
 * ```ts
 * const stringify: Stringify = (record) => JSON.stringify(record, (_key, value: unknown) => typeof value === 'bigint' ? String(value) : value)
 * minuteWindow({ stringify })
 * ```
 */
export type Stringify = (record: unknown) => string

/**
 * One NDJSON line for `record`, always ending in `\n` (never `os.EOL`, so
 * objects are byte-identical on every OS). Throws a `SerializationError`
 * naming the record's index instead of dropping or mangling it.
 */
export function ndjsonLine (record: unknown, index: number, stringify?: Stringify): string {
  return ndjsonText(record, index, stringify) + '\n'
}

/** {@link ndjsonLine} without its newline: for a writer that adds the newline byte itself. */
export function ndjsonText (record: unknown, index: number, stringify?: Stringify): string {
  let text: unknown
  try {
    text = stringify === undefined ? JSON.stringify(record) : stringify(record)
  } catch (err) {
    throw new SerializationError(index, describe(err), { cause: err })
  }
  if (typeof text !== 'string') {
    throw new SerializationError(index, stringify === undefined
      ? `JSON has no text for ${typeName(record)}`
      : `stringify returned ${typeName(text)}, not a string`)
  }
  // Only a caller's stringify can break the one-record-per-line framing.
  if (stringify !== undefined && text.includes('\n')) {
    throw new SerializationError(index, 'stringify returned text containing a newline')
  }
  if (stringify !== undefined && !/\S/.test(text)) throw new SerializationError(index, 'stringify returned no text: a blank line holds no record')
  return text
}

/**
 * {@link ndjsonLine} for a record of a feed: with the default serializer, a
 * record must be a JSON object (a Run result, an event), so a stray number,
 * string, `null` or array fails like an unserializable record instead of
 * landing as a line no reader expects. A caller's `stringify` decides alone.
 */
export function recordLine (record: unknown, index: number, stringify?: Stringify): string {
  return recordText(record, index, stringify) + '\n'
}

/** {@link recordLine} without its newline. */
export function recordText (record: unknown, index: number, stringify?: Stringify): string {
  if (stringify === undefined && (typeof record !== 'object' || record === null || Array.isArray(record))) {
    throw new SerializationError(index, `a record must be a JSON object, got ${typeName(record)}`)
  }
  return ndjsonText(record, index, stringify)
}
