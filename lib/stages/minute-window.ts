import { Transform, type PassThrough, type TransformCallback } from 'node:stream'
import { MAX_TIMER_MS, systemClock, type Clock } from '../clock.js'
import { BatchAbortedError, WindowOverflowError, toError, type LineParseError, type SerializationError } from '../errors.js'
import { HEAD_CHARS, deadLetterLine, parseError, type InvalidRecordError } from '../internal/invalid-records.js'
import { whenWritable } from '../internal/drain.js'
import { LineFramer } from '../internal/line-framer.js'
import { OpenBatch } from '../internal/open-batch.js'
import { recordLine, type Stringify } from '../internal/ndjson-line.js'
import { validateBoolean, validateClock, validateFunction, validateInteger, validateObject, validateOneOf } from '../internal/validate.js'

/** Options of {@link minuteWindow}. */
export interface MinuteWindowOptions {
  /** Window length in ms; windows start at multiples of it (UTC). Default 60000. */
  windowMs?: number
  /** Close a batch before its uncompressed NDJSON exceeds this many bytes. Default 1 GiB. */
  maxBytes?: number
  /** Close a batch once it holds this many records. Default: no limit. */
  maxRecords?: number
  /** Records are coalesced into body chunks of about this many bytes. Default 64 KiB. */
  chunkSize?: number
  /** Serializer for record input; must return one line of text. Default `JSON.stringify`. */
  stringify?: Stringify
  /** Time source and timers; tests inject a fake one. Default {@link systemClock}. */
  clock?: Clock
  /**
   * What to do with a record no object can take (it cannot be serialized, or
   * it is larger than `maxBytes`): `'error'` fails the stream with the
   * record's index (default); `'skip'` drops it; `'dead-letter'` writes a
   * line about it (`{ index, error: { code, message }, bytes?, head?, record? }`)
   * into a separate batch of the same window whose `partition` is
   * `'dead-letter'`, so default keys put it under `[prefix]dead-letter/`.
   * Either way it is counted in `skipped` and announced with `'invalid'`
   * `{ index, error, record }`.
   */
  onInvalid?: 'error' | 'skip' | 'dead-letter'
  /**
   * Parse every line of byte input as JSON and treat a line that is not as
   * invalid (`ERR_LINE_PARSE`, then `onInvalid`). Off by default: the bytes
   * of `serialize()` are valid by construction, and parsing costs about as
   * much as serializing.
   */
  validateLines?: boolean
}

const DEFAULTS = Object.freeze({
  windowMs: 60_000,
  maxBytes: 1024 * 1024 * 1024,
  maxRecords: Infinity,
  chunkSize: 64 * 1024
})

const NEWLINE = 0x0a


/** The stream {@link minuteWindow} returns. */
export interface MinuteWindowStream extends Transform {
  /** Records dropped under `onInvalid: 'skip'`. */
  readonly skipped: number
}

/**
 * Cuts a feed into batches, one per window aligned to UTC multiples of
 * `windowMs`, and earlier when `maxBytes` or `maxRecords` is reached. A window
 * closes on time even when no further record arrives; an empty window makes no
 * batch.
 *
 * Input: records (serialized to NDJSON here), or NDJSON bytes as `Buffer`s
 * (what `serialize()` emits; lines split across chunks are reassembled).
 * Output: {@link Batch} objects whose `body` streams the window's NDJSON.
 *
 * @example
 * ```ts
 * await pipeline(source, minuteWindow({ maxBytes: 64 * 1024 * 1024 }), gzip(), s3Writable(cfg))
 * ```
 */
export function minuteWindow (options: MinuteWindowOptions = {}): MinuteWindowStream {
  validateObject(options, 'options')
  return new MinuteWindow({
    windowMs: validateInteger(options.windowMs, 'options.windowMs', 1, MAX_TIMER_MS) ?? DEFAULTS.windowMs,
    maxBytes: validateInteger(options.maxBytes, 'options.maxBytes', 1) ?? DEFAULTS.maxBytes,
    maxRecords: validateInteger(options.maxRecords, 'options.maxRecords', 1) ?? DEFAULTS.maxRecords,
    chunkSize: validateInteger(options.chunkSize, 'options.chunkSize', 1) ?? DEFAULTS.chunkSize,
    stringify: validateFunction<Stringify>(options.stringify, 'options.stringify'),
    clock: validateClock(options.clock, 'options.clock') ?? systemClock,
    onInvalid: validateOneOf(options.onInvalid, 'options.onInvalid', ['error', 'skip', 'dead-letter'] as const) ?? 'error',
    validateLines: validateBoolean(options.validateLines, 'options.validateLines') ?? false
  })
}


interface Settings {
  windowMs: number
  maxBytes: number
  maxRecords: number
  chunkSize: number
  stringify: Stringify | undefined
  clock: Clock
  onInvalid: 'error' | 'skip' | 'dead-letter'
  validateLines: boolean
}

const MAIN = ''
const DEAD_LETTER = 'dead-letter'

class MinuteWindow extends Transform implements MinuteWindowStream {
  readonly #s: Settings
  readonly #framer: LineFramer
  /** Open batches by partition: the main feed (`''`) and the dead letters. */
  readonly #open = new Map<string, OpenBatch>()
  #skipped = 0
  #index = 0
  #seq = 0

  constructor (settings: Settings) {
    // One queued batch is enough: its body carries the data and the backpressure.
    super({ writableObjectMode: true, readableObjectMode: true, readableHighWaterMark: 1 })
    this.#s = settings
    this.#framer = new LineFramer(settings.maxBytes)
  }

  /** Records dropped or dead-lettered under `onInvalid: 'skip'` or `'dead-letter'`. */
  get skipped (): number {
    return this.#skipped
  }

  override _transform (chunk: unknown, _encoding: BufferEncoding, cb: TransformCallback): void {
    try {
      if (chunk instanceof Uint8Array) this.#writeBytes(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength), cb)
      else this.#writeRecord(chunk, cb)
    } catch (err) {
      cb(toError(err))
    }
  }

  override _flush (cb: TransformCallback): void {
    const last = this.#framer.end()
    const done: TransformCallback = (err) => {
      if (err !== undefined && err !== null) return cb(err)
      for (const partition of [...this.#open.keys()]) this.#close(partition)
      cb()
    }
    try {
      if (last === null) done()
      else this.#writeBytes(last, done)
    } catch (err) {
      cb(toError(err))
    }
  }

  override _destroy (err: Error | null, cb: (error?: Error | null) => void): void {
    for (const open of this.#open.values()) open.destroy(err ?? new BatchAbortedError('minuteWindow() was destroyed before the window closed'))
    this.#open.clear()
    cb(err)
  }

  #writeRecord (record: unknown, cb: TransformCallback): void {
    const index = this.#index++
    let line: string
    try {
      line = recordLine(record, index, this.#s.stringify)
    } catch (err) {
      return this.#afterWrite(this.#invalid(err as SerializationError, { record }), cb)
    }
    const bytes = Buffer.byteLength(line)
    if (bytes > this.#s.maxBytes) {
      return this.#afterWrite(this.#invalid(new WindowOverflowError(index, bytes, this.#s.maxBytes), { record, head: line.slice(0, HEAD_CHARS) }), cb)
    }
    let open = this.#current()
    if (open.stats.bytes + bytes > this.#s.maxBytes) {
      this.#close()
      open = this.#current()
    }
    const written = open.addLine(line, bytes)
    this.#afterWrite(this.#isFull(open) ? this.#close() : written, cb)
  }

  #writeBytes (input: Buffer, cb: TransformCallback): void {
    const { lines: buf, tooLong } = this.#framer.push(input)
    const { maxBytes, maxRecords } = this.#s
    let start = 0
    let last: PassThrough | null = null
    while (start < buf.length) {
      const lineEnd = buf.indexOf(NEWLINE, start) + 1
      if (lineEnd - start > maxBytes) {
        const head = buf.toString('utf8', start, Math.min(lineEnd, start + HEAD_CHARS))
        last = this.#invalid(new WindowOverflowError(this.#index++, lineEnd - start, maxBytes), { head }) ?? last
        start = lineEnd
        continue
      }
      const parseFailure = this.#s.validateLines ? parseError(buf, start, lineEnd, this.#index) : null
      if (parseFailure !== null) {
        last = this.#invalid(parseFailure, { head: buf.toString('utf8', start, Math.min(lineEnd, start + HEAD_CHARS)) }) ?? last
        this.#index++
        start = lineEnd
        continue
      }
      // The longest run of whole lines from `start` that fits the open batch.
      const open = this.#current()
      const roomBytes = maxBytes - open.stats.bytes
      const roomRecords = maxRecords - open.stats.records
      let end = start
      let lines = 0
      let bad: LineParseError | null = null
      while (end < buf.length && lines < roomRecords) {
        const next = buf.indexOf(NEWLINE, end) + 1
        if (next - start > roomBytes) break
        // The first line was checked before the batch was opened.
        if (this.#s.validateLines && end > start && (bad = parseError(buf, end, next, this.#index + lines)) !== null) break
        end = next
        lines++
      }
      if (lines === 0) {
        // Full: the first line fits an empty batch, so the next round writes it.
        this.#close()
        continue
      }
      last = open.writeLines(buf.subarray(start, end), lines)
      this.#index += lines
      start = end
      if (bad !== null) continue // the bad line comes first in the next round
      if (start < buf.length || this.#isFull(open)) this.#close()
    }
    // A line already too long before its end arrived: reported now, its rest dropped as it comes.
    if (tooLong !== null) last = this.#invalid(new WindowOverflowError(this.#index++, tooLong, maxBytes), {}) ?? last
    this.#afterWrite(last, cb)
  }

  /** Applies `onInvalid` to a record no object can take; returns the dead-letter body it wrote to. */
  #invalid (error: InvalidRecordError, about: { record?: unknown, head?: string }): PassThrough | null {
    if (this.#s.onInvalid === 'error') throw error
    this.#skipped++
    this.emit('invalid', { index: error.index, error, record: about.record })
    return this.#s.onInvalid === 'dead-letter' ? this.#deadLetter(error, about) : null
  }

  #deadLetter (error: InvalidRecordError, about: { record?: unknown, head?: string }): PassThrough | null {
    const line = deadLetterLine(error, about)
    const bytes = Buffer.byteLength(line)
    let open = this.#current(DEAD_LETTER)
    // A dead-letter line is kept whole, even alone above a tiny maxBytes.
    if (open.stats.records > 0 && open.stats.bytes + bytes > this.#s.maxBytes) {
      this.#close(DEAD_LETTER)
      open = this.#current(DEAD_LETTER)
    }
    const written = open.addLine(line, bytes)
    return this.#isFull(open) ? this.#close(DEAD_LETTER) : written
  }

  #isFull (open: OpenBatch): boolean {
    return open.stats.records >= this.#s.maxRecords || open.stats.bytes >= this.#s.maxBytes
  }

  /** The batch of `partition` a record arriving now belongs to, opening one if needed. */
  #current (partition = MAIN): OpenBatch {
    const now = this.#s.clock.now()
    const open = this.#open.get(partition)
    open?.assertWritable()
    if (open !== undefined && now < open.batch.windowEnd) return open
    this.#close(partition)
    const { windowMs, chunkSize, clock } = this.#s
    const windowStart = now - (((now % windowMs) + windowMs) % windowMs)
    const next: OpenBatch = new OpenBatch({
      windowStart,
      windowEnd: windowStart + windowMs,
      openedAt: now,
      seq: this.#seq++,
      ...(partition === MAIN ? {} : { partition }),
      chunkSize,
      clock,
      onTimeUp: () => { if (this.#open.get(partition) === next) this.#close(partition) }
    })
    this.#open.set(partition, next)
    this.push(next.batch)
    return next
  }

  /** Ends the open batch of `partition`, if any; returns its body so the caller can wait for it to drain. */
  #close (partition = MAIN): PassThrough | null {
    const open = this.#open.get(partition)
    if (open === undefined) return null
    this.#open.delete(partition)
    return open.close()
  }

  /** Acknowledges a write only once the body it went into can take more. */
  #afterWrite (body: PassThrough | null, cb: TransformCallback): void {
    if (body === null) return cb()
    if (body.destroyed) return cb(body.errored ?? new BatchAbortedError())
    if (!body.writableNeedDrain) return cb()
    whenWritable(body, () => new BatchAbortedError(), cb)
  }
}
