import { Transform, type PassThrough, type TransformCallback } from 'node:stream'
import { MAX_TIMER_MS, systemClock, type Clock } from '../clock.js'
import { BatchAbortedError, InvalidOptionError, LateRecordError, WindowOverflowError, toError, type SerializationError } from '../errors.js'
import { RecordSlots, validatePartitionBy, type PartitionBy } from '../internal/record-slots.js'
import { HEAD_CHARS, deadLetterLine, type InvalidRecordError } from '../internal/invalid-records.js'
import { whenWritable } from '../internal/drain.js'
import { durableOf } from '../internal/durable-callback.js'
import { LineFramer } from '../internal/line-framer.js'
import { MarkRouter } from '../internal/line-marks.js'
import { recordLine, type Stringify } from '../internal/ndjson-line.js'
import { validateBoolean, validateClock, validateFunction, validateInteger, validateKnownKeys, validateObject, validateOneOf } from '../internal/validate.js'
import { MAIN, WindowBatches } from '../internal/window-batches.js'
import type { OpenBatch } from '../internal/open-batch.js'
import type { EventTimeError } from '../errors.js'
import { ackAtOnce, acksOf, writeBytes, type ByteWindow, type Disposal } from '../internal/window-bytes.js'
import { positionOf, type Position } from '../source-position.js'
import type { DurableCallback } from '../durable.js'

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
  /**
   * Close a batch when its window's time is up (a timer), and start a new
   * one when a record arrives in a later window. Default `true`. With
   * `false`, batches are cut only by `maxRecords`, `maxBytes` and the end of
   * the input, so a replay of the same records cuts them at the same records:
   * what `keyRotate({ stableKeys: true })` needs to repeat its keys. A quiet
   * feed's last batch then waits for more records or the end of the input.
   */
  closeOnTime?: boolean
  /**
   * Keep one open batch per value of these record fields (dotted paths, e.g.
   * `['apiInfo.name']`, what `keyTemplate(...).fields` lists), or of the
   * fields a function returns. Values are sanitized for keys (a missing one
   * is `_missing`); the batch carries them as `fields` and its `partition`
   * is `path=value[/path=value]`. Record input only.
   */
  partitionBy?: PartitionBy
  /** Most batches of field partitions (or event-time windows) open at once; the least recently written is closed first. Default 16. */
  maxOpenPartitions?: number
  /**
   * Window by event time: the record's time in ms since the epoch. Windows
   * close when the watermark (the largest event time seen minus
   * `allowedLatenessMs`) passes their end, or after `idleTimeoutMs` without
   * a record. A record whose time is unusable (not a number, before 1970,
   * after 9999, or `timeOf` threw) is invalid (`ERR_EVENT_TIME`, then
   * `onInvalid`). Record input only.
   */
  timeOf?: (record: unknown) => number
  /** How far behind the largest event time seen a record may be and still join its window. Default 0. */
  allowedLatenessMs?: number
  /**
   * A record later than allowed: `'partition'` (default) writes it into a
   * batch of its own, `partition: 'late'` (keys under `[prefix]late/`),
   * windowed by arrival time; `'drop'` drops it (and acknowledges it);
   * `'error'` fails with `ERR_LATE_RECORD`. Always counted in `late` and
   * announced with `'late'` `{ index, time, watermark, record }`.
   */
  onLate?: 'partition' | 'drop' | 'error'
  /**
   * With `timeOf`: an event-time batch no record was written into for this
   * long (processing time, by `clock`) is closed even though the watermark
   * has not passed its end, so a feed that goes quiet still delivers. Which
   * records make it before the timeout depends on timing: the only
   * non-deterministic close. Off with `closeOnTime: false`. Default
   * `windowMs + allowedLatenessMs`.
   */
  idleTimeoutMs?: number
}

// `satisfies` makes tsc refuse a new option that is not listed here.
const OPTION_NAMES = Object.keys({
  windowMs: true, maxBytes: true, maxRecords: true, chunkSize: true, stringify: true, clock: true, onInvalid: true, validateLines: true,
  closeOnTime: true, partitionBy: true, maxOpenPartitions: true, timeOf: true, allowedLatenessMs: true, onLate: true, idleTimeoutMs: true
} satisfies Record<keyof MinuteWindowOptions, true>)

const DEFAULTS = Object.freeze({
  windowMs: 60_000,
  maxBytes: 1024 * 1024 * 1024,
  maxRecords: Infinity,
  chunkSize: 64 * 1024,
  maxOpenPartitions: 16
})


/** The stream {@link minuteWindow} returns. */
export interface MinuteWindowStream extends Transform {
  /** Invalid records let go: dropped under `onInvalid: 'skip'` or dead-lettered under `'dead-letter'`. */
  readonly skipped: number
  /** Records later than allowed (`timeOf`), whatever `onLate` did with them. */
  readonly late: number
  /** The event-time watermark: the largest event time seen minus `allowedLatenessMs` (`-Infinity` before the first record). */
  readonly watermark: number
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
 * A record's `onDurable` callback and `sourcePosition` go into the `acks`
 * of the batch it lands in (with byte input, `serialize()` attaches them to
 * the chunks it emits): `s3Writable()` fires them once that object is
 * stored. A record skipped as invalid is acknowledged at once; a
 * dead-lettered one once its dead-letter object is stored.
 *
 * @example
 * ```ts
 * await pipeline(source, minuteWindow({ maxBytes: 64 * 1024 * 1024 }), gzip(), s3Writable(cfg))
 * ```
 */
export function minuteWindow (options: MinuteWindowOptions = {}): MinuteWindowStream {
  validateObject(options, 'options')
  validateKnownKeys(options, 'options', OPTION_NAMES)
  const windowMs = validateInteger(options.windowMs, 'options.windowMs', 1, MAX_TIMER_MS) ?? DEFAULTS.windowMs
  const timeOf = validateFunction<(record: unknown) => number>(options.timeOf, 'options.timeOf')
  for (const name of ['allowedLatenessMs', 'onLate', 'idleTimeoutMs'] as const) {
    if (timeOf === undefined && options[name] !== undefined) throw new InvalidOptionError(`options.${name}`, 'needs options.timeOf (windows by event time)')
  }
  const allowedLatenessMs = validateInteger(options.allowedLatenessMs, 'options.allowedLatenessMs', 0, MAX_TIMER_MS) ?? 0
  return new MinuteWindow({
    windowMs,
    partitionBy: validatePartitionBy(options.partitionBy, 'options.partitionBy'),
    maxOpenPartitions: validateInteger(options.maxOpenPartitions, 'options.maxOpenPartitions', 1, 100_000) ?? DEFAULTS.maxOpenPartitions,
    timeOf,
    allowedLatenessMs,
    onLate: validateOneOf(options.onLate, 'options.onLate', ['partition', 'drop', 'error'] as const) ?? 'partition',
    idleTimeoutMs: validateInteger(options.idleTimeoutMs, 'options.idleTimeoutMs', 1, MAX_TIMER_MS) ?? Math.min(MAX_TIMER_MS, windowMs + allowedLatenessMs),
    maxBytes: validateInteger(options.maxBytes, 'options.maxBytes', 1) ?? DEFAULTS.maxBytes,
    maxRecords: validateInteger(options.maxRecords, 'options.maxRecords', 1) ?? DEFAULTS.maxRecords,
    chunkSize: validateInteger(options.chunkSize, 'options.chunkSize', 1) ?? DEFAULTS.chunkSize,
    stringify: validateFunction<Stringify>(options.stringify, 'options.stringify'),
    clock: validateClock(options.clock, 'options.clock') ?? systemClock,
    onInvalid: validateOneOf(options.onInvalid, 'options.onInvalid', ['error', 'skip', 'dead-letter'] as const) ?? 'error',
    validateLines: validateBoolean(options.validateLines, 'options.validateLines') ?? false,
    closeOnTime: validateBoolean(options.closeOnTime, 'options.closeOnTime') ?? true
  })
}


interface Settings {
  partitionBy: PartitionBy | undefined
  maxOpenPartitions: number
  timeOf: ((record: unknown) => number) | undefined
  allowedLatenessMs: number
  onLate: 'partition' | 'drop' | 'error'
  idleTimeoutMs: number
  windowMs: number
  maxBytes: number
  maxRecords: number
  chunkSize: number
  stringify: Stringify | undefined
  clock: Clock
  onInvalid: 'error' | 'skip' | 'dead-letter'
  validateLines: boolean
  closeOnTime: boolean
}

const DEAD_LETTER = 'dead-letter'
const LATE = 'late'
/** How long a write waits on a partition's batch before other partitions are closed to free an upload slot. */
const STALL_MS = 250

class MinuteWindow extends Transform implements MinuteWindowStream {
  readonly #s: Settings
  readonly #framer: LineFramer
  readonly #batches: WindowBatches
  readonly #bytes: ByteWindow
  /** Index of the next record or line, shared by both kinds of input. */
  readonly #counter = { index: 0 }
  readonly #slots: RecordSlots
  /** Timer of the stall watch; set while a batch waits to be taken downstream. */
  #stall: unknown = undefined
  #skipped = 0
  #late = 0

  constructor (settings: Settings) {
    // One queued batch is enough: its body carries the data and the backpressure.
    super({ writableObjectMode: true, readableObjectMode: true, readableHighWaterMark: 1 })
    this.#s = settings
    this.#framer = new LineFramer(settings.maxBytes)
    this.#slots = new RecordSlots(settings)
    this.#batches = new WindowBatches({
      ...settings,
      announce: (batch) => {
        // Nobody took the last batch yet: the sink may be waiting for open batches to end (see #watchStall).
        if (!this.push(batch) && this.#slots.active) this.#watchStall()
      }
    })
    this.#bytes = {
      ...settings,
      batches: this.#batches,
      framer: this.#framer,
      marks: new MarkRouter(),
      counter: this.#counter,
      invalid: (error, about, position) => this.#invalid(error, about, position)
    }
  }

  /** Invalid records let go: dropped under `onInvalid: 'skip'` or dead-lettered under `'dead-letter'`. */
  get skipped (): number {
    return this.#skipped
  }

  get late (): number {
    return this.#late
  }

  get watermark (): number {
    return this.#slots.watermark.value
  }

  override _transform (chunk: unknown, _encoding: BufferEncoding, cb: TransformCallback): void {
    try {
      if (chunk instanceof Uint8Array) {
        if (this.#slots.active) return cb(new InvalidOptionError(this.#s.timeOf === undefined ? 'options.partitionBy' : 'options.timeOf', 'needs record input: it cannot read fields of NDJSON bytes (leave serialize() out)'))
        this.#writeBytes(chunk, cb)
      }
      else this.#writeRecord(chunk, cb)
    } catch (err) {
      cb(toError(err))
    }
  }

  override _flush (cb: TransformCallback): void {
    const last = this.#framer.end()
    const done: TransformCallback = (err) => {
      if (err !== undefined && err !== null) return cb(err)
      this.#batches.closeAll()
      cb()
    }
    try {
      if (last === null) done()
      else this.#writeBytes(last, done)
    } catch (err) {
      cb(toError(err))
    }
  }

  override _read (size: number): void {
    this.#s.clock.clearTimeout(this.#stall)
    this.#stall = undefined
    // Transform's own _read releases a write callback parked on a full buffer.
    super._read(size)
  }

  override _destroy (err: Error | null, cb: (error?: Error | null) => void): void {
    this.#s.clock.clearTimeout(this.#stall)
    this.#batches.destroyAll(err)
    cb(err)
  }

  #writeRecord (record: unknown, cb: TransformCallback): void {
    const index = this.#counter.index++
    const callback = durableOf(record)
    const position = positionOf(record)
    let line: string
    try {
      line = recordLine(record, index, this.#s.stringify)
    } catch (err) {
      return this.#afterWrite(this.#dispose(this.#invalid(err as SerializationError, { record }, position), callback, position), cb)
    }
    const bytes = Buffer.byteLength(line)
    if (bytes > this.#s.maxBytes) {
      const disposal = this.#invalid(new WindowOverflowError(index, bytes, this.#s.maxBytes), { record, head: line.slice(0, HEAD_CHARS) }, position)
      return this.#afterWrite(this.#dispose(disposal, callback, position), cb)
    }
    if (this.#slots.active) return this.#writePlaced(record, index, line, bytes, callback, position, cb)
    let open = this.#batches.current(MAIN, position)
    if (open.stats.bytes + bytes > this.#s.maxBytes) {
      this.#batches.close()
      open = this.#batches.current(MAIN, position)
    }
    open.acks.add(callback, position)
    const written = open.addLine(line, bytes)
    this.#afterWrite(this.#batches.isFull(open) ? this.#batches.close() : written, cb)
  }

  /** A record of a field partition or an event-time window. */
  #writePlaced (record: unknown, index: number, line: string, bytes: number, callback: DurableCallback | undefined, position: Position | undefined, cb: TransformCallback): void {
    let slot
    try {
      slot = this.#slots.slotOf(record, index)
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_EVENT_TIME') throw err
      return this.#afterWrite(this.#dispose(this.#invalid(err as EventTimeError, { record, head: line.slice(0, HEAD_CHARS) }, position), callback, position), cb)
    }
    if ('late' in slot) return this.#afterWrite(this.#lateRecord(record, index, slot.time, slot.watermark, line, bytes, callback, position), cb)
    const place = (): OpenBatch => slot.time === undefined ? this.#batches.current(slot.partition, position, slot.fields) : this.#batches.currentAt({ ...slot, time: slot.time }, position)
    let open = place()
    if (open.stats.bytes + bytes > this.#s.maxBytes) {
      this.#batches.closeFull(open)
      open = place()
    }
    open.acks.add(callback, position)
    if (slot.time !== undefined) {
      open.stats.minTime = Math.min(open.stats.minTime ?? Infinity, slot.time)
      open.stats.maxTime = Math.max(open.stats.maxTime ?? -Infinity, slot.time)
    }
    const written = open.addLine(line, bytes)
    const body = this.#batches.isFull(open) ? this.#batches.closeFull(open) : written
    if (slot.time !== undefined && this.#slots.watermark.observe(slot.time)) this.#batches.closeBefore(this.#slots.watermark.value)
    this.#afterWrite(body, cb)
  }

  /** Applies `onLate`; returns the body written to, if any. */
  #lateRecord (record: unknown, index: number, time: number, watermark: number, line: string, bytes: number, callback: DurableCallback | undefined, position: Position | undefined): PassThrough | null {
    if (this.#s.onLate === 'error') throw new LateRecordError(index, time, watermark)
    this.#late++
    this.emit('late', { index, time, watermark, record })
    if (this.#s.onLate === 'drop') {
      ackAtOnce(callback, position)
      return null
    }
    let open = this.#batches.current(LATE, position)
    if (open.stats.bytes + bytes > this.#s.maxBytes) {
      this.#batches.close(LATE)
      open = this.#batches.current(LATE, position)
    }
    open.acks.add(callback, position)
    open.stats.minTime = Math.min(open.stats.minTime ?? Infinity, time)
    open.stats.maxTime = Math.max(open.stats.maxTime ?? -Infinity, time)
    const written = open.addLine(line, bytes)
    return this.#batches.isFull(open) ? this.#batches.close(LATE) : written
  }

  #writeBytes (input: Uint8Array, cb: TransformCallback): void {
    this.#afterWrite(writeBytes(this.#bytes, input), cb)
  }

  /** Applies `onInvalid` to a record no object can take; `position` is the record's, if known. */
  #invalid (error: InvalidRecordError, about: { record?: unknown, head?: string }, position?: Position): Disposal {
    if (this.#s.onInvalid === 'error') throw error
    this.#skipped++
    this.emit('invalid', { index: error.index, error, record: about.record })
    if (this.#s.onInvalid === 'skip') return { body: null, ack: ackAtOnce }
    return this.#deadLetter(error, about, position)
  }

  #deadLetter (error: InvalidRecordError, about: { record?: unknown, head?: string }, position?: Position): Disposal {
    const line = deadLetterLine(error, about)
    const bytes = Buffer.byteLength(line)
    let open = this.#batches.current(DEAD_LETTER, position)
    // A dead-letter line is kept whole, even alone above a tiny maxBytes.
    if (open.stats.records > 0 && open.stats.bytes + bytes > this.#s.maxBytes) {
      this.#batches.close(DEAD_LETTER)
      open = this.#batches.current(DEAD_LETTER, position)
    }
    const written = open.addLine(line, bytes)
    // The caller adds the record's acknowledgement in the same turn, so even
    // if the batch closes here, it is in before its upload can complete.
    return { body: this.#batches.isFull(open) ? this.#batches.close(DEAD_LETTER) : written, ack: acksOf(open) }
  }

  /** Hands an invalid record's acknowledgement to where it went; returns the body to wait on. */
  #dispose (disposal: Disposal, callback: DurableCallback | undefined, position: Position | undefined): PassThrough | null {
    disposal.ack(callback, position)
    return disposal.body
  }

  /**
   * Every open batch is an upload in progress, and a sink with fewer upload
   * slots than open partitions takes the next batch only once one of them
   * ends. While a batch waits to be taken, close the least recently written
   * open batch once per STALL_MS, so the feed always moves on.
   */
  #watchStall (): void {
    if (this.#stall !== undefined) return
    this.#stall = this.#s.clock.setTimeout(() => {
      this.#stall = undefined
      if (this.readableLength >= this.readableHighWaterMark && this.#batches.closeLeastRecent(null)) this.#watchStall()
    }, STALL_MS)
  }

  /** Acknowledges a write only once the body it went into can take more. */
  #afterWrite (body: PassThrough | null, cb: TransformCallback): void {
    if (body === null) return cb()
    if (body.destroyed) return cb(body.errored ?? new BatchAbortedError())
    if (!body.writableNeedDrain) return cb()
    if (!this.#slots.active) return whenWritable(body, () => new BatchAbortedError(), cb)
    // Every open batch is an upload in progress. When the sink has fewer
    // upload slots than open partitions, the batch written to may wait for a
    // slot that only a closing batch frees: close the least recently written
    // others, one per STALL_MS, until this one drains.
    const { clock } = this.#s
    let timer: unknown
    const arm = (): void => { timer = clock.setTimeout(() => { if (this.#batches.closeLeastRecent(body)) arm() }, STALL_MS) }
    arm()
    whenWritable(body, () => new BatchAbortedError(), (err) => {
      clock.clearTimeout(timer)
      cb(err)
    })
  }
}
