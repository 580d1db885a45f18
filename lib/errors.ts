import type { AbortIncompleteUploadsResult } from './admin/abort-incomplete-uploads-result.js'
import { redact } from './internal/redact.js'

/**
 * Every error this package emits or throws is an {@link S3SinkError} with a
 * stable `code`. Codes are public API: match on `err.code`, never on messages.
 *
 * @packageDocumentation
 */

/**
 * Base class of every error of this package.
 *
 * @example
 * ```ts
 * try { await pipeline(source, minuteWindow(), gzip(), s3Writable(cfg)) }
 * catch (err) { if (err instanceof S3SinkError) console.error(err.code, err.message) }
 * ```
 */
export class S3SinkError extends Error {
  override name = 'S3SinkError'
  readonly code: string = 'ERR_S3_SINK'

  constructor (message: string, options?: { cause?: unknown }) {
    super(message, options)
  }
}

/**
 * One problem of an option: which, as the caller wrote it, and what is wrong (never a secret's value).
 *
 * @example
 * ```ts
 * try { createS3Destination({ windowMs: 0, level: 42 }) }
 * catch (err) { for (const { option, message } of (err as InvalidOptionError).issues) console.error(option, message) }
 * ```
 */
export interface OptionIssue {
  option: string
  message: string
}

/**
 * A factory was given an option it cannot use. `option` names it, as the
 * caller wrote it (`options.windowMs`, `config.bucket`). Factories that check
 * all their options at once (`s3Writable()`, `createS3Destination()`) report
 * every problem in one error: `issues` lists them, `option` is the first, and
 * the message joins them with `; `.
 *
 * @example
 * ```ts
 * try { s3Writable({ bucket: 'logs', partSize: 1, queueSize: 0 }) }
 * catch (err) { if (err instanceof InvalidOptionError) console.error(err.issues.map((i) => i.option)) } // ['options.partSize', 'options.queueSize']
 * ```
 */
export class InvalidOptionError extends S3SinkError {
  override name = 'InvalidOptionError'
  override readonly code = 'ERR_INVALID_OPTION'
  readonly option: string
  /** Every problem found, `option`'s first. */
  readonly issues: readonly OptionIssue[]

  constructor (option: string, message: string, more: readonly OptionIssue[] = []) {
    super([`${option} ${message}`, ...more.map((issue) => `${issue.option} ${issue.message}`)].join('; '))
    this.option = option
    this.issues = [{ option, message }, ...more]
  }
}

/**
 * A record could not be turned into JSON (a cycle, a BigInt, a function, or a
 * `stringify` callback that threw). `index` is the record's 0-based position
 * among the records the stage received.
 *
 * @example
 * ```ts
 * stream.on('error', (err) => { if (err instanceof SerializationError) console.error('record', err.index) })
 * ```
 */
export class SerializationError extends S3SinkError {
  override name = 'SerializationError'
  override readonly code = 'ERR_SERIALIZE'
  readonly index: number

  constructor (index: number, message: string, options?: { cause?: unknown }) {
    super(`record ${index} cannot be serialized: ${message}`, options)
    this.index = index
  }
}

/**
 * A line of NDJSON byte input is not JSON (with `minuteWindow({ validateLines: true })`).
 * `index` is its 0-based position among the records the stage received.
 *
 * @example
 * ```ts
 * const window = minuteWindow({ onInvalid: 'skip' }) // fed NDJSON text
 * window.on('invalid', ({ error }: { error: Error }) => { if (error instanceof LineParseError) console.error('line', error.index) })
 * ```
 */
export class LineParseError extends S3SinkError {
  override name = 'LineParseError'
  override readonly code = 'ERR_LINE_PARSE'
  readonly index: number

  constructor (index: number, message: string, options?: { cause?: unknown }) {
    super(`record ${index} is not JSON: ${message}`, options)
    this.index = index
  }
}

/**
 * A single record is larger than the window's `maxBytes`, so no object can
 * hold it.
 *
 * @example
 * ```ts
 * stream.on('error', (err) => { if (err instanceof WindowOverflowError) console.error(err.index, err.bytes) })
 * ```
 */
export class WindowOverflowError extends S3SinkError {
  override name = 'WindowOverflowError'
  override readonly code = 'ERR_WINDOW_OVERFLOW'
  readonly index: number
  readonly bytes: number

  constructor (index: number, bytes: number, maxBytes: number) {
    super(`record ${index} is ${bytes} bytes, above maxBytes (${maxBytes}): no object can hold it`)
    this.index = index
    this.bytes = bytes
  }
}

/**
 * A stage that expects batches (from `minuteWindow()`) received something else.
 *
 * @example
 * ```ts
 * // gzip() right after filterApis(), without minuteWindow() between them:
 * stream.on('error', (err) => { if (err instanceof InvalidBatchError) console.error(err.message) })
 * ```
 */
export class InvalidBatchError extends S3SinkError {
  override name = 'InvalidBatchError'
  override readonly code = 'ERR_INVALID_BATCH'

  constructor (stage: string) {
    super(`${stage} expects batches made by minuteWindow(); put minuteWindow() before it`)
  }
}

/**
 * A batch was cut short: its body was destroyed by its consumer before the
 * window closed (the records still to come have nowhere to go), or the stage
 * producing it was destroyed (the object must not be completed truncated).
 *
 * @example
 * ```ts
 * stream.on('error', (err) => { if (err instanceof BatchAbortedError) console.error(err.message) })
 * ```
 */
export class BatchAbortedError extends S3SinkError {
  override name = 'BatchAbortedError'
  override readonly code = 'ERR_BATCH_ABORTED'

  constructor (message = 'the batch body was destroyed before the window closed', options?: { cause?: unknown }) {
    super(message, options)
  }
}

/**
 * A callback the caller supplied (`apiName`, `isFailed`, `key`, ...) threw or
 * returned something unusable. `option` names it; the thrown value is `cause`.
 *
 * @example
 * ```ts
 * stream.on('error', (err) => { if (err instanceof CallbackError) console.error(err.option, err.cause) })
 * ```
 */
export class CallbackError extends S3SinkError {
  override name = 'CallbackError'
  override readonly code = 'ERR_CALLBACK'
  readonly option: string

  constructor (option: string, message: string, options?: { cause?: unknown }) {
    super(`${option} ${message}`, options)
    this.option = option
  }
}

/**
 * An object could not be written to S3. `bucket` and `key` say which; the AWS
 * error is `cause`; `attempts` and `elapsedMs` say how long retrying went on
 * (a permanent failure ends at once, a retriable one at `retryFor`). When aborting the multipart upload failed too, that error
 * is `abortError`: the original failure stays the one reported.
 *
 * @example
 * ```ts
 * stream.on('error', (err) => {
 *   if (err instanceof S3UploadError) console.error(err.bucket, err.key, err.cause)
 * })
 * ```
 */
export class S3UploadError extends S3SinkError {
  override name = 'S3UploadError'
  override readonly code = 'ERR_S3_UPLOAD'
  readonly bucket: string
  readonly key: string
  /** Attempts made by the request that failed for good (1 for a permanent failure on the first try). */
  readonly attempts: number | undefined
  /** How long the request that failed for good was tried, from its first attempt, in ms. */
  readonly elapsedMs: number | undefined
  abortError?: unknown

  constructor (bucket: string, key: string, cause: unknown, retried?: { attempts: number, ms: number }) {
    const after = retried === undefined || retried.attempts < 2 ? '' : ` after ${retried.attempts} attempts over ${(retried.ms / 1000).toFixed(1)} s`
    // redact(): the SDK error's raw response reaches the request headers (session token).
    super(`upload of s3://${bucket}/${key} failed${after}: ${describe(cause)}`, { cause: redact(cause) })
    this.bucket = bucket
    this.key = key
    this.attempts = retried?.attempts
    this.elapsedMs = retried?.ms
  }
}

/**
 * `send()` was called on a `createS3Destination()` after `close()` or
 * `destroy()`, or a `flush()` was cut short by `destroy()`.
 *
 * @example
 * ```ts
 * try { destination.send({ payload }) } catch (err) { if ((err as S3SinkError).code === 'ERR_DESTINATION_CLOSED') console.warn('closed: payload not taken') }
 * ```
 */
export class DestinationClosedError extends S3SinkError {
  override name = 'DestinationClosedError'
  override readonly code = 'ERR_DESTINATION_CLOSED'
}

/**
 * ListMultipartUploads failed, so the cleanup stopped. `partial` holds what
 * was done before; the AWS error is `cause`.
 *
 * @example
 * ```ts
 * try { await abortIncompleteUploads({ ...cfg, olderThan: 24 * 3600_000 }) }
 * catch (err) { if (err instanceof ListUploadsError) console.error(err.bucket, err.partial.aborted.length, err.cause) }
 * ```
 */
export class ListUploadsError extends S3SinkError {
  override name = 'ListUploadsError'
  override readonly code = 'ERR_S3_LIST_UPLOADS'
  readonly bucket: string
  readonly prefix: string
  readonly partial: AbortIncompleteUploadsResult

  constructor (bucket: string, prefix: string, cause: unknown, partial: AbortIncompleteUploadsResult) {
    super(`listing the multipart uploads of s3://${bucket}/${prefix} failed: ${describe(cause)}`, { cause: redact(cause) })
    this.bucket = bucket
    this.prefix = prefix
    this.partial = partial
  }
}

/* The CLI's own failures (`s3-sink`); not exported by the package. */

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

/**
 * An object could not be written under the output directory (`--out-dir`):
 * the local counterpart of `S3UploadError`. `key` is the object's key, `path`
 * the file it was going to; the file-system error is `cause`.
 *
 * @example
 * ```ts
 * sink.on('error', (err) => { if (err.code === 'ERR_FILE_WRITE') console.error(err.path, err.cause) })
 * ```
 */
export class FileWriteError extends S3SinkError {
  override name = 'FileWriteError'
  override readonly code = 'ERR_FILE_WRITE'
  readonly key: string
  readonly path: string

  constructor (key: string, path: string, cause: unknown) {
    super(`writing ${key} to ${path} failed: ${describe(cause)}`, { cause })
    this.key = key
    this.path = path
  }
}

/**
 * The deadline of a graceful stop ran out: the uploads still in flight were
 * aborted. `timeoutMs` says how long the stop was given.
 *
 * @example
 * ```ts
 * if ((err as { code?: string }).code === 'ERR_SHUTDOWN_TIMEOUT') console.error('not everything was delivered')
 * ```
 */
export class ShutdownTimeoutError extends S3SinkError {
  override name = 'ShutdownTimeoutError'
  override readonly code = 'ERR_SHUTDOWN_TIMEOUT'
  readonly timeoutMs: number

  constructor (timeoutMs: number) {
    super(`shutdown timed out after ${timeoutMs} ms: uploads in flight were aborted`)
    this.timeoutMs = timeoutMs
  }
}

/** `Name: message` of an error-like value, without ever printing its fields. */
export function describe (err: unknown): string {
  if (err instanceof Error) return `${err.name}: ${err.message}`
  return String(err)
}

/** Makes sure only `Error` objects travel through streams. */
export function toError (value: unknown): Error {
  return value instanceof Error ? value : new S3SinkError(`non-error thrown: ${String(value)}`, { cause: value })
}

/**
 * One problem found in a sink config.
 *
 * @example
 * ```ts
 * try { createS3Sink(config) } catch (err) {
 *   if (err instanceof ConfigError) err.issues.forEach(({ path, problem, message }: ConfigIssue) => console.error(path, problem, message))
 * }
 * ```
 */
export interface ConfigIssue {
  /** Where: `bucket`, `apisToSend[2]`, `skipOnFailure` (an unknown field). */
  path: string
  /** What: `'missing'`, `'type'`, `'unknown'` or `'invalid'`. */
  problem: 'missing' | 'type' | 'unknown' | 'invalid'
  /** A sentence for people; never contains a secret's value. */
  message: string
}

/**
 * A sink config has problems; `issues` lists every one of them at once, so a
 * config is fixed in one round.
 *
 * @example
 * ```ts
 * try { createS3Sink(JSON.parse(fs.readFileSync('sink.json', 'utf8'))) } // { "type": "s3", "bucket": "b", "skipOnFailure": true }
 * catch (err) { if (err instanceof ConfigError) for (const i of err.issues) console.error(i.path, i.message) }
 * ```
 */
export class ConfigError extends S3SinkError {
  override name = 'ConfigError'
  override readonly code = 'ERR_S3_SINK_CONFIG'
  readonly issues: readonly ConfigIssue[]

  constructor (issues: readonly ConfigIssue[]) {
    super(`invalid sink config: ${issues.map((i) => `${i.path} ${i.message}`).join('; ')}`)
    this.issues = issues
  }
}

/**
 * A key template could not name an object: a batch lacks the value of one of
 * its record fields (the window was not partitioned by it), or the rendered
 * key is unusable (above 1024 bytes). `placeholder` names the culprit
 * (`{apiInfo.name}`), or holds the whole template.
 *
 * @example
 * ```ts
 * stream.on('error', (err) => { if (err instanceof KeyTemplateError) console.error(err.placeholder, err.message) })
 * ```
 */
export class KeyTemplateError extends S3SinkError {
  override name = 'KeyTemplateError'
  override readonly code = 'ERR_KEY_TEMPLATE'
  readonly placeholder: string

  constructor (placeholder: string, message: string) {
    super(`key template ${placeholder} ${message}`)
    this.placeholder = placeholder
  }
}

/**
 * A record's event time is unusable: `timeOf` returned something that is not
 * a number of ms between the epoch and the end of year 9999 (or threw).
 * `index` is the record's 0-based position among the records the stage
 * received. It follows `onInvalid` like any record no object can take.
 *
 * @example
 * ```ts
 * const window = minuteWindow({ timeOf: (run) => Date.parse((run as { startedAt: string }).startedAt), onInvalid: 'skip' })
 * window.on('invalid', ({ error }: { error: Error }) => { if (error instanceof EventTimeError) console.error('record', error.index) })
 * ```
 */
export class EventTimeError extends S3SinkError {
  override name = 'EventTimeError'
  override readonly code = 'ERR_EVENT_TIME'
  readonly index: number

  constructor (index: number, message: string, options?: { cause?: unknown }) {
    super(`record ${index} has no usable event time: ${message}`, options)
    this.index = index
  }
}

/**
 * A record arrived after its event-time window had closed (its window ends
 * at or before the watermark), with `onLate: 'error'`. `index` is its
 * position, `time` its event time and `watermark` the watermark then.
 *
 * @example
 * ```ts
 * stream.on('error', (err) => { if (err instanceof LateRecordError) console.error(err.index, err.time, err.watermark) })
 * ```
 */
export class LateRecordError extends S3SinkError {
  override name = 'LateRecordError'
  override readonly code = 'ERR_LATE_RECORD'
  readonly index: number
  readonly time: number
  readonly watermark: number

  constructor (index: number, time: number, watermark: number) {
    super(`record ${index} is late: its event time ${new Date(time).toISOString()} is in a window that closed at watermark ${new Date(watermark).toISOString()}`)
    this.index = index
    this.time = time
    this.watermark = watermark
  }
}

/**
 * A batch was to get a key made of its records' positions
 * (`keyRotate({ stableKeys: true })`), but its first record carried no
 * `record[sourcePosition]`.
 *
 * @example
 * ```ts
 * stream.on('error', (err) => { if (err instanceof MissingPositionError) console.error('records need record[sourcePosition]') })
 * ```
 */
export class MissingPositionError extends S3SinkError {
  override name = 'MissingPositionError'
  override readonly code = 'ERR_NO_POSITION'

  constructor (seq: number) {
    super(`batch ${seq} has no source position: stable keys are made of record[sourcePosition], which its first record lacks`)
  }
}

/**
 * A log source (Redis Streams, NATS JetStream) could not reach its server:
 * no connection came up within `reconnectTimeoutMs`, at start or after a
 * loss, or its set-up (the group, the durable consumer) kept failing for
 * that long. The last network error is `cause`. Never contains a password.
 *
 * @example
 * ```ts
 * source.on('error', (err) => { if (err instanceof SourceConnectionError) console.error('log unreachable', err.message) })
 * ```
 */
export class SourceConnectionError extends S3SinkError {
  override name = 'SourceConnectionError'
  override readonly code = 'ERR_SOURCE_CONNECTION'
}

/**
 * A log source's server refused its credentials (a wrong password, user,
 * token, or no permission on the stream). Retrying cannot help.
 *
 * @example
 * ```ts
 * source.on('error', (err) => { if (err instanceof SourceAuthError) process.exitCode = 77 })
 * ```
 */
export class SourceAuthError extends S3SinkError {
  override name = 'SourceAuthError'
  override readonly code = 'ERR_SOURCE_AUTH'
}

/**
 * A log source's server is not what the source needs: not a Redis or NATS
 * server at all, a key that is not a stream, JetStream disabled, a stream
 * that does not exist. Retrying cannot help.
 *
 * @example
 * ```ts
 * source.on('error', (err) => { if (err instanceof SourceServerError) console.error(err.message) })
 * ```
 */
export class SourceServerError extends S3SinkError {
  override name = 'SourceServerError'
  override readonly code = 'ERR_SOURCE_SERVER'
}

/**
 * An entry of a log is not a record: its payload is not JSON, not a JSON
 * object, or lacks the field holding the record. `id` is the entry's id in
 * the log (Redis entry id, JetStream stream sequence). The entry is not
 * acknowledged, so it stays in the log.
 *
 * @example
 * ```ts
 * source.on('error', (err) => { if (err instanceof SourcePayloadError) console.error('bad entry', err.id) })
 * ```
 */
export class SourcePayloadError extends S3SinkError {
  override name = 'SourcePayloadError'
  override readonly code = 'ERR_SOURCE_PAYLOAD'
  readonly id: string

  constructor (id: string, message: string, options?: { cause?: unknown }) {
    super(`entry ${id} is not a record: ${message}`, options)
    this.id = id
  }
}

/**
 * Compressing a batch body failed (zlib refused a block or a chunk, or ran out of
 * memory). `codec` is `'gzip'` or `'zstd'`, `cause` is zlib's error. The body
 * stream fails with it, so its object is never completed: no partial `.gz`
 * or `.zst` becomes visible (a multipart upload in flight is aborted).
 *
 * @example
 * ```ts
 * sink.on('error', (err) => { if (err instanceof CompressionFailedError) console.error(err.codec, err.cause) })
 * ```
 */
export class CompressionFailedError extends S3SinkError {
  override name = 'CompressionFailedError'
  override readonly code = 'ERR_COMPRESSION'
  readonly codec: string

  constructor (codec: string, block: number | null, options?: { cause?: unknown }) {
    const why = options?.cause instanceof Error ? `: ${options.cause.message}` : ''
    super(`${codec} compression of the batch body failed${block === null ? '' : ` at block ${block}`}${why}`, options)
    this.codec = codec
  }
}
