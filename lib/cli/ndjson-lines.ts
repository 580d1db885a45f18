import { Transform, type TransformCallback } from 'node:stream'
import { RecordParseError, toError } from '../errors.js'
import { typeName, validateInteger, validateObject, validateOneOf, validateString } from '../internal/validate.js'

/** Options of {@link ndjsonLines}. */
export interface NdjsonLinesOptions {
  /** Name used in error messages (`file:line`). Default `'<stdin>'`. */
  file?: string
  /** Longest line accepted, in bytes without its line break. Default 256 MiB. */
  maxLineBytes?: number
  /**
   * A line that is not JSON, or (with `objects`) not a JSON object:
   * `'error'` fails the stream (default); `'pass'` passes it on with its
   * error in `invalid`, for the stage that applies `--on-invalid`.
   */
  invalid?: 'error' | 'pass'
  /** Records must be JSON objects: `42`, `[1]`, `null` or `"x"` are invalid lines. Default false. */
  objects?: boolean
}

/** One parsed input line, with where it came from. */
export interface InputRecord {
  /** The parsed JSON value. */
  readonly value: unknown
  /** The line as read (without its `\n` or `\r\n`), delivered byte for byte in batches. */
  readonly text: string
  /** File name as given on the command line, or `'<stdin>'`. */
  readonly file: string
  /** 1-based line number within `file`. */
  readonly line: number
  /** Set (and `value` undefined) when the line is not a record, with `invalid: 'pass'`. */
  readonly invalid?: RecordParseError
}

const DEFAULTS = Object.freeze({ file: '<stdin>', maxLineBytes: 256 * 1024 * 1024 })
const NEWLINE = 0x0a
const CR = 0x0d
const BOM = '\ufeff'

/**
 * Splits NDJSON bytes into lines and parses each one: bytes in,
 * {@link InputRecord}s out. Lines may be split across chunks anywhere (even
 * inside a UTF-8 character); `\r\n` endings and a leading BOM are accepted;
 * blank lines are skipped but still counted, so line numbers match an editor's.
 * A line that is not JSON fails the stream with `ERR_RECORD_PARSE` naming the
 * file and line: never a silent drop.
 *
 * @example
 * ```ts
 * await pipeline(fs.createReadStream('runs.ndjson'), ndjsonLines({ file: 'runs.ndjson' }), async function * (records) {
 *   for await (const { value, line } of records) console.log(line, value)
 * })
 * ```
 */
export function ndjsonLines (options: NdjsonLinesOptions = {}): Transform {
  validateObject(options, 'options')
  const file = validateString(options.file, 'options.file') ?? DEFAULTS.file
  const maxLineBytes = validateInteger(options.maxLineBytes, 'options.maxLineBytes', 1) ?? DEFAULTS.maxLineBytes
  const pass = validateOneOf(options.invalid, 'options.invalid', ['error', 'pass'] as const) === 'pass'
  const objects = options.objects === true
  // The unfinished last line, kept as chunks so a long line is joined once.
  let carry: Buffer[] = []
  let carryBytes = 0
  let line = 0

  function emit (stream: Transform, bytes: Buffer): void {
    line++
    const end = bytes.length > 0 && bytes[bytes.length - 1] === CR ? bytes.length - 1 : bytes.length
    if (end > maxLineBytes) throw new RecordParseError(file, line, `line is longer than ${maxLineBytes} bytes`)
    let text = bytes.toString('utf8', 0, end)
    if (line === 1 && text.startsWith(BOM)) text = text.slice(1)
    if (text.trim() === '') return
    let value: unknown
    let invalid: RecordParseError | undefined
    try {
      value = JSON.parse(text)
      if (objects && (typeof value !== 'object' || value === null || Array.isArray(value))) {
        invalid = new RecordParseError(file, line, `a record must be a JSON object, got ${typeName(value)}`)
      }
    } catch (err) {
      invalid = new RecordParseError(file, line, `invalid JSON: ${toError(err).message}`, { cause: err })
    }
    if (invalid === undefined) stream.push({ value, text, file, line } satisfies InputRecord)
    else if (pass) stream.push({ value: undefined, text, file, line, invalid } satisfies InputRecord)
    else throw invalid
  }

  return new Transform({
    writableObjectMode: false,
    readableObjectMode: true,
    transform (chunk: Buffer | string, _encoding: BufferEncoding, cb: TransformCallback) {
      const buf = typeof chunk === 'string' ? Buffer.from(chunk) : chunk
      try {
        let start = 0
        for (let nl = buf.indexOf(NEWLINE); nl !== -1; nl = buf.indexOf(NEWLINE, start)) {
          let bytes = buf.subarray(start, nl)
          if (carryBytes > 0) {
            bytes = Buffer.concat([...carry, bytes])
            carry = []
            carryBytes = 0
          }
          emit(this, bytes)
          start = nl + 1
        }
        if (start < buf.length) {
          carry.push(buf.subarray(start))
          carryBytes += buf.length - start
          // Fail before buffering more than a line may hold (+1: a `\r` is not part of it).
          if (carryBytes > maxLineBytes + 1) throw new RecordParseError(file, line + 1, `line is longer than ${maxLineBytes} bytes`)
        }
        cb()
      } catch (err) {
        cb(toError(err))
      }
    },
    flush (cb: TransformCallback) {
      try {
        // The last line may lack its newline; it is still a record.
        if (carryBytes > 0) emit(this, Buffer.concat(carry))
        carry = []
        carryBytes = 0
        cb()
      } catch (err) {
        cb(toError(err))
      }
    },
    destroy (err: Error | null, cb: (error: Error | null) => void) {
      carry = []
      carryBytes = 0
      cb(err)
    }
  })
}
