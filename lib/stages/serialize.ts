import { Transform, type TransformCallback } from 'node:stream'
import { SerializationError, toError } from '../errors.js'
import { ackNow, durableOf } from '../internal/durable-callback.js'
import { markLines, type LineMark } from '../internal/line-marks.js'
import { recordLine, type Stringify } from '../internal/ndjson-line.js'
import { positionOf } from '../source-position.js'
import { validateFunction, validateInteger, validateKnownKeys, validateObject, validateOneOf } from '../internal/validate.js'

/**
 * Options of {@link serialize}.
 *
 * @example
 * ```ts
 * const options: SerializeOptions = { onInvalid: 'skip', chunkSize: 64 * 1024 }
 * await pipeline(source, serialize(options), minuteWindow(), gzip(), s3Writable(cfg))
 * ```
 */
export interface SerializeOptions {
  /** Output format. Only `'ndjson'` today. */
  format?: 'ndjson'
  /** Serializer for one record; must return one line of text. Default `JSON.stringify`. */
  stringify?: Stringify
  /** Output is coalesced into chunks of about this many bytes. Default 64 KiB. */
  chunkSize?: number
  /**
   * A record that cannot be serialized: `'error'` fails the stream with its
   * index (default); `'skip'` drops it and emits `'invalid'` `{ index, error, record }`.
   */
  onInvalid?: 'error' | 'skip'
}

const DEFAULTS = Object.freeze({ format: 'ndjson', chunkSize: 64 * 1024 })
const OPTION_NAMES = Object.keys({ format: true, stringify: true, chunkSize: true, onInvalid: true } satisfies Record<keyof SerializeOptions, true>)

/**
 * Records in, NDJSON bytes out. Every line ends in `\n` on every OS, and
 * lines are coalesced into chunks of about `chunkSize` bytes (gzip runs about
 * 5x slower when fed one small chunk per record). Chunks always hold whole
 * lines. What a quiet feed leaves in the buffer is pushed on the next turn of
 * the event loop (or, when the consumer is behind, as soon as it reads), so no
 * record waits for the next one.
 *
 * A record that cannot be serialized (a cycle, a BigInt, `undefined`) fails
 * the stream with `ERR_SERIALIZE` and the record's index, or with
 * `onInvalid: 'skip'` is dropped with an `'invalid'` event: never silently.
 *
 * A record's `onDurable` callback and `sourcePosition` cannot be written as
 * bytes: they travel attached to the chunk holding its line, so a
 * `minuteWindow()` piped after this stage puts them into the right batch.
 * Pipe the two directly (or through streams that pass chunks on as they
 * are): a stage that concatenates chunks loses them. A skipped record is
 * acknowledged at once.
 *
 * @example
 * ```ts
 * await pipeline(source, serialize(), fs.createWriteStream('runs.ndjson'))
 * ```
 */
export function serialize (options: SerializeOptions = {}): Transform {
  validateObject(options, 'options')
  validateKnownKeys(options, 'options', OPTION_NAMES)
  validateOneOf(options.format, 'options.format', ['ndjson'] as const)
  const stringify = validateFunction<Stringify>(options.stringify, 'options.stringify')
  const chunkSize = validateInteger(options.chunkSize, 'options.chunkSize', 1) ?? DEFAULTS.chunkSize
  const skipInvalid = validateOneOf(options.onInvalid, 'options.onInvalid', ['error', 'skip'] as const) === 'skip'
  let pending = ''
  let index = 0
  let marks: LineMark[] = []
  /** Bytes of `pending`, counted only once the chunk holds a marked line (the common case needs no count). */
  let pendingBytes = -1
  let scheduled: NodeJS.Immediate | null = null

  const stream = new Transform({
    writableObjectMode: true,
    readableObjectMode: false,
    readableHighWaterMark: chunkSize,
    transform (record: unknown, _encoding: BufferEncoding, cb: TransformCallback) {
      let line: string
      let callback, position
      try {
        callback = durableOf(record)
        position = positionOf(record)
        line = recordLine(record, index++, stringify)
      } catch (err) {
        if (!skipInvalid || !(err instanceof SerializationError)) return cb(toError(err))
        this.emit('invalid', { index: index - 1, error: err, record })
        try {
          ackNow(record, this)
        } catch (ackError) {
          return cb(toError(ackError))
        }
        return cb()
      }
      if (pendingBytes >= 0) pendingBytes += Buffer.byteLength(line)
      if (callback !== undefined || position !== undefined) {
        if (pendingBytes < 0) pendingBytes = Buffer.byteLength(pending) + Buffer.byteLength(line)
        marks.push({ end: pendingBytes, ...(callback === undefined ? {} : { callback }), ...(position === undefined ? {} : { position }) })
      }
      pending += line
      // String length undercounts multi-byte text; close enough for a coalescing threshold.
      if (pending.length >= chunkSize) return cb(null, take())
      // With the readable side full, keep coalescing: read() reschedules the flush.
      if (scheduled === null && !full()) scheduled = setImmediate(flushIdle)
      cb()
    },
    read (size: number) {
      // Transform's own _read releases a write parked on a full readable side.
      Transform.prototype._read.call(this, size)
      if (scheduled === null && pending.length > 0) scheduled = setImmediate(flushIdle)
    },
    flush (cb: TransformCallback) {
      cancel()
      cb(null, pending.length > 0 ? take() : null)
    },
    destroy (err: Error | null, cb: (error: Error | null) => void) {
      cancel()
      pending = ''
      marks = []
      cb(err)
    }
  })

  function take (): Buffer {
    const chunk = markLines(Buffer.from(pending), marks)
    pending = ''
    pendingBytes = -1
    if (marks.length > 0) marks = []
    return chunk
  }

  function cancel (): void {
    if (scheduled !== null) clearImmediate(scheduled)
    scheduled = null
  }

  function full (): boolean {
    return stream.readableLength >= stream.readableHighWaterMark
  }

  function flushIdle (): void {
    scheduled = null
    // Pushing past a full buffer would ignore backpressure: writes are
    // acknowledged without pushing, so nothing else would ever stop them.
    if (pending.length > 0 && !stream.destroyed && !full()) stream.push(take())
  }

  return stream
}
