import { inspect } from 'node:util'
import { EventTimeError, LineParseError, SerializationError, WindowOverflowError, describe } from '../errors.js'

/** What makes a record undeliverable: `onInvalid` decides what happens to it. */
export type InvalidRecordError = SerializationError | WindowOverflowError | LineParseError | EventTimeError

/** How much of a too-large or unparsable record a dead-letter line keeps. */
export const HEAD_CHARS = 1024

const INSPECT = Object.freeze({ depth: 3, breakLength: Infinity, maxArrayLength: 20, maxStringLength: HEAD_CHARS })

/**
 * The dead-letter line about an invalid record:
 * `{ index, error: { code, message }, bytes?, head?, record? }` and `\n`.
 * `record` is an `util.inspect` of what JSON could not write, for a person to read.
 */
export function deadLetterLine (error: InvalidRecordError, about: { record?: unknown, head?: string }): string {
  const entry = {
    index: error.index,
    error: { code: error.code, message: error.message },
    ...(error instanceof WindowOverflowError ? { bytes: error.bytes } : {}),
    ...(about.head === undefined ? {} : { head: about.head }),
    ...(error instanceof SerializationError ? { record: inspect(about.record, INSPECT) } : {})
  }
  return JSON.stringify(entry) + '\n'
}

/** The error of line [start, end) of `buf` if it is not JSON, else `null`. */
export function parseError (buf: Buffer, start: number, end: number, index: number): LineParseError | null {
  try {
    JSON.parse(buf.toString('utf8', start, end))
    return null
  } catch (err) {
    return new LineParseError(index, describe(err), { cause: err })
  }
}
