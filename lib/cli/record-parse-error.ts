import { S3SinkError } from '../errors.js'

/**
 * An input line is not a record: invalid JSON, or longer than the CLI can
 * hold. `file` and `line` (1-based) say where, so the line can be fixed.
 *
 * @example
 * ```ts
 * lines.on('error', (err) => {
 *   if (err.code === 'ERR_RECORD_PARSE') console.error(`${err.file}:${err.line}`)
 * })
 * ```
 */
export class RecordParseError extends S3SinkError {
  override name = 'RecordParseError'
  override readonly code = 'ERR_RECORD_PARSE'
  readonly file: string
  readonly line: number

  constructor (file: string, line: number, message: string, options?: { cause?: unknown }) {
    super(`${file}:${line}: ${message}`, options)
    this.file = file
    this.line = line
  }
}
