import { PassThrough, Transform, type TransformCallback } from 'node:stream'
import type { Batch, BatchStats } from '../batch.js'
import { systemClock, type Clock } from '../clock.js'
import { BatchAbortedError, InvalidOptionError, WindowOverflowError, toError, type SerializationError } from '../errors.js'
import { whenWritable } from '../internal/drain.js'
import { ndjsonLine, type Stringify } from '../internal/ndjson-line.js'
import { validateFunction, validateInteger, validateObject, validateOneOf } from '../internal/validate.js'

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
   * record's index (default); `'skip'` drops it, counts it in `skipped` and
   * emits `'invalid'` `{ index, error, record }`.
   */
  onInvalid?: 'error' | 'skip'
}

const DEFAULTS = Object.freeze({
  windowMs: 60_000,
  maxBytes: 1024 * 1024 * 1024,
  maxRecords: Infinity,
  chunkSize: 64 * 1024
})

const NEWLINE = 0x0a
/** setTimeout cannot wait longer (about 24.8 days); a longer window would close at once. */
const MAX_TIMER_MS = 2 ** 31 - 1

interface OpenBatch {
  batch: Batch
  body: PassThrough
  stats: BatchStats
  timer: unknown
  pending: string
  pendingBytes: number
}

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
    clock: validateClock(options.clock) ?? systemClock,
    onInvalid: validateOneOf(options.onInvalid, 'options.onInvalid', ['error', 'skip'] as const) ?? 'error'
  })
}

function validateClock (clock: unknown): Clock | undefined {
  if (clock === undefined) return undefined
  validateObject(clock, 'options.clock')
  for (const fn of ['now', 'setTimeout', 'clearTimeout']) {
    if (typeof clock[fn] !== 'function') throw new InvalidOptionError(`options.clock.${fn}`, 'must be a function')
  }
  return clock as unknown as Clock
}

interface Settings {
  windowMs: number
  maxBytes: number
  maxRecords: number
  chunkSize: number
  stringify: Stringify | undefined
  clock: Clock
  onInvalid: 'error' | 'skip'
}

class MinuteWindow extends Transform implements MinuteWindowStream {
  readonly #s: Settings
  #open: OpenBatch | null = null
  #carry: Buffer | null = null
  #skippingLine = false
  #skipped = 0
  #index = 0
  #seq = 0

  constructor (settings: Settings) {
    // One queued batch is enough: its body carries the data and the backpressure.
    super({ writableObjectMode: true, readableObjectMode: true, readableHighWaterMark: 1 })
    this.#s = settings
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
    try {
      if (this.#carry !== null) {
        // The last line may lack its newline; it is still a record.
        const last = Buffer.concat([this.#carry, Buffer.of(NEWLINE)])
        this.#carry = null
        this.#writeBytes(last, (err) => {
          if (err !== undefined && err !== null) return cb(err)
          this.#close()
          cb()
        })
        return
      }
      this.#close()
      cb()
    } catch (err) {
      cb(toError(err))
    }
  }

  override _destroy (err: Error | null, cb: (error?: Error | null) => void): void {
    const open = this.#open
    this.#open = null
    if (open !== null) {
      this.#s.clock.clearTimeout(open.timer)
      // Never end() here: a truncated body must fail its upload, not complete it.
      open.body.destroy(err ?? new BatchAbortedError('minuteWindow() was destroyed before the window closed'))
    }
    cb(err)
  }

  #writeRecord (record: unknown, cb: TransformCallback): void {
    const index = this.#index++
    let line: string
    try {
      line = ndjsonLine(record, index, this.#s.stringify)
    } catch (err) {
      this.#invalid(err as SerializationError, record)
      return cb()
    }
    const bytes = Buffer.byteLength(line)
    if (bytes > this.#s.maxBytes) {
      this.#invalid(new WindowOverflowError(index, bytes, this.#s.maxBytes), record)
      return cb()
    }
    let open = this.#current(this.#s.clock.now())
    if (open.stats.bytes + bytes > this.#s.maxBytes) {
      this.#close()
      open = this.#current(this.#s.clock.now())
    }
    open.pending += line
    open.pendingBytes += bytes
    open.stats.records++
    open.stats.bytes += bytes
    if (this.#isFull(open)) return this.#afterWrite(this.#close(), cb)
    if (open.pendingBytes >= this.#s.chunkSize) return this.#afterWrite(this.#flushPending(open), cb)
    cb()
  }

  #writeBytes (input: Buffer, cb: TransformCallback): void {
    let buf = input
    if (this.#skippingLine) {
      // The rest of a line already reported as too long.
      const end = buf.indexOf(NEWLINE)
      if (end === -1) return cb()
      this.#skippingLine = false
      buf = buf.subarray(end + 1)
    }
    if (this.#carry !== null) buf = Buffer.concat([this.#carry, buf])
    this.#carry = null
    const lastNewline = buf.lastIndexOf(NEWLINE)
    let tooLong: Buffer | null = null
    if (lastNewline !== buf.length - 1) {
      const carry = buf.subarray(lastNewline + 1)
      buf = buf.subarray(0, lastNewline + 1)
      if (carry.length <= this.#s.maxBytes) this.#carry = carry
      else tooLong = carry
    }
    let start = 0
    let last: PassThrough | null = null
    while (start < buf.length) {
      const lineEnd = buf.indexOf(NEWLINE, start) + 1
      if (lineEnd - start > this.#s.maxBytes) {
        this.#invalid(new WindowOverflowError(this.#index++, lineEnd - start, this.#s.maxBytes))
        start = lineEnd
        continue
      }
      const open = this.#current(this.#s.clock.now())
      const roomBytes = this.#s.maxBytes - open.stats.bytes
      const roomRecords = this.#s.maxRecords - open.stats.records
      let end = start
      let lines = 0
      while (end < buf.length && lines < roomRecords) {
        const next = buf.indexOf(NEWLINE, end) + 1
        if (next - start > roomBytes) break
        end = next
        lines++
      }
      if (lines === 0) {
        // Full: the first line fits an empty batch, so the next round writes it.
        this.#close()
        continue
      }
      this.#flushPending(open)
      open.stats.records += lines
      open.stats.bytes += end - start
      this.#index += lines
      open.body.write(buf.subarray(start, end))
      last = open.body
      start = end
      if (start < buf.length || this.#isFull(open)) this.#close()
    }
    if (tooLong !== null) {
      // A line already too long before its end arrived: report it now, drop the rest as it comes.
      this.#invalid(new WindowOverflowError(this.#index++, tooLong.length, this.#s.maxBytes))
      this.#skippingLine = true
    }
    this.#afterWrite(last, cb)
  }

  /** Applies `onInvalid` to a record no object can take. */
  #invalid (error: SerializationError | WindowOverflowError, record?: unknown): void {
    if (this.#s.onInvalid === 'error') throw error
    this.#skipped++
    this.emit('invalid', { index: error.index, error, record })
  }

  /** Records skipped under `onInvalid: 'skip'`. */
  get skipped (): number {
    return this.#skipped
  }

  #isFull (open: OpenBatch): boolean {
    return open.stats.records >= this.#s.maxRecords || open.stats.bytes >= this.#s.maxBytes
  }

  /** The batch records arriving at `now` belong to, opening one if needed. */
  #current (now: number): OpenBatch {
    const open = this.#open
    if (open !== null && open.body.destroyed) throw open.body.errored ?? new BatchAbortedError()
    if (open !== null && now < open.batch.windowEnd) return open
    if (open !== null) this.#close()
    const { windowMs } = this.#s
    const windowStart = now - (((now % windowMs) + windowMs) % windowMs)
    const stats: BatchStats = { records: 0, bytes: 0 }
    const body = new PassThrough({ highWaterMark: this.#s.chunkSize })
    const batch: Batch = {
      kind: 'batch',
      body,
      windowStart,
      windowEnd: windowStart + windowMs,
      openedAt: now,
      seq: this.#seq++,
      contentType: 'application/x-ndjson',
      stats
    }
    const timer = this.#s.clock.setTimeout(() => { if (this.#open?.batch === batch) this.#close() }, batch.windowEnd - now)
    const next: OpenBatch = { batch, body, stats, timer, pending: '', pendingBytes: 0 }
    this.#open = next
    this.push(batch)
    return next
  }

  /** Writes coalesced records into the body; returns the body when it wrote. */
  #flushPending (open: OpenBatch): PassThrough | null {
    if (open.pendingBytes === 0) return null
    const text = open.pending
    open.pending = ''
    open.pendingBytes = 0
    open.body.write(text)
    return open.body
  }

  /** Ends the open batch; returns its body so the caller can wait for it to drain. */
  #close (): PassThrough | null {
    const open = this.#open
    if (open === null) return null
    this.#open = null
    this.#s.clock.clearTimeout(open.timer)
    if (open.body.destroyed) return open.body
    this.#flushPending(open)
    open.body.end()
    return open.body
  }

  /** Acknowledges a write only once the body it went into can take more. */
  #afterWrite (body: PassThrough | null, cb: TransformCallback): void {
    if (body === null) return cb()
    if (body.destroyed) return cb(body.errored ?? new BatchAbortedError())
    if (!body.writableNeedDrain) return cb()
    whenWritable(body, () => new BatchAbortedError(), cb)
  }
}
