import { Transform, type PassThrough, type TransformCallback } from 'node:stream'
import { BatchAbortedError, InvalidOptionError, WindowOverflowError, toError, type SerializationError } from '../errors.js'
import { PlacedRecords, type PlacedLine } from '../internal/placed-records.js'
import { RecordSlots } from '../internal/record-slots.js'
import { HEAD_CHARS } from '../internal/invalid-records.js'
import { InvalidDisposal } from '../internal/invalid-disposal.js'
import { StallWatch } from '../internal/stall-watch.js'
import { whenWritable } from '../internal/drain.js'
import { durableOf } from '../internal/durable-callback.js'
import { LineFramer } from '../internal/line-framer.js'
import { MarkRouter } from '../internal/line-marks.js'
import { recordText } from '../internal/ndjson-line.js'
import { MAIN, WindowBatches } from '../internal/window-batches.js'
import type { EventTimeError } from '../errors.js'
import { writeBytes, type ByteWindow, type Disposal } from '../internal/window-bytes.js'
import { positionOf, type Position } from '../source-position.js'
import type { DurableCallback } from '../durable.js'
import { resolveWindowOptions, type MinuteWindowOptions, type WindowSettings } from './minute-window-options.js'

export type { MinuteWindowOptions } from './minute-window-options.js'

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
  return new MinuteWindow(resolveWindowOptions(options))
}


class MinuteWindow extends Transform implements MinuteWindowStream {
  readonly #s: WindowSettings
  readonly #framer: LineFramer
  readonly #batches: WindowBatches
  readonly #bytes: ByteWindow
  /** Index of the next record or line, shared by both kinds of input. */
  readonly #counter = { index: 0 }
  readonly #slots: RecordSlots
  readonly #stalls: StallWatch
  readonly #placed: PlacedRecords
  readonly #invalids: InvalidDisposal

  constructor (settings: WindowSettings) {
    // One queued batch is enough: its body carries the data and the backpressure.
    super({ writableObjectMode: true, readableObjectMode: true, readableHighWaterMark: 1 })
    this.#s = settings
    this.#framer = new LineFramer(settings.maxBytes)
    this.#slots = new RecordSlots(settings)
    this.#batches = new WindowBatches({
      ...settings,
      announce: (batch) => {
        // Nobody took the last batch yet: the sink may be waiting for open batches to end.
        if (!this.push(batch) && this.#slots.active) this.#stalls.watch()
      }
    })
    this.#stalls = new StallWatch(settings.clock, this.#batches, () => this.readableLength >= this.readableHighWaterMark)
    this.#invalids = new InvalidDisposal(settings, this.#batches, (invalid) => { this.emit('invalid', invalid) })
    this.#placed = new PlacedRecords(settings, this.#batches, this.#slots, (late) => { this.emit('late', late) })
    this.#bytes = {
      ...settings,
      batches: this.#batches,
      framer: this.#framer,
      marks: new MarkRouter(),
      counter: this.#counter,
      invalid: (error, about, position) => this.#invalids.take(error, about, position)
    }
  }

  /** Invalid records let go: dropped under `onInvalid: 'skip'` or dead-lettered under `'dead-letter'`. */
  get skipped (): number {
    return this.#invalids.skipped
  }

  get late (): number {
    return this.#placed.late
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
    this.#stalls.clear()
    // Transform's own _read releases a write callback parked on a full buffer.
    super._read(size)
  }

  override _destroy (err: Error | null, cb: (error?: Error | null) => void): void {
    this.#stalls.clear()
    this.#batches.destroyAll(err)
    cb(err)
  }

  #writeRecord (record: unknown, cb: TransformCallback): void {
    const index = this.#counter.index++
    const callback = durableOf(record)
    const position = positionOf(record)
    let text: string
    try {
      text = recordText(record, index, this.#s.stringify)
    } catch (err) {
      return this.#afterWrite(this.#dispose(this.#invalids.take(err as SerializationError, { record }, position), callback, position), cb)
    }
    const { maxBytes } = this.#s
    // UTF-8 takes at most 3 bytes per UTF-16 unit: the exact size is counted only near maxBytes (the body counts it as it encodes).
    const most = text.length * 3 + 1
    const bytes = most > maxBytes || this.#slots.active ? Buffer.byteLength(text) + 1 : -1
    if (bytes > maxBytes) {
      const disposal = this.#invalids.take(new WindowOverflowError(index, bytes, maxBytes), { record, head: (text + '\n').slice(0, HEAD_CHARS) }, position)
      return this.#afterWrite(this.#dispose(disposal, callback, position), cb)
    }
    if (this.#slots.active) return this.#writePlaced({ record, index, line: text + '\n', bytes, callback, position }, cb)
    let open = this.#batches.current(MAIN, position)
    // The upper bound decides first; the exact size is counted only when the bound says the line might not fit.
    if (open.bytes + (bytes >= 0 ? bytes : most) > maxBytes && open.bytes + (bytes >= 0 ? bytes : Buffer.byteLength(text) + 1) > maxBytes) {
      this.#batches.close()
      open = this.#batches.current(MAIN, position)
    }
    open.acks.add(callback, position)
    const written = open.addText(text)
    this.#afterWrite(this.#batches.isFull(open) ? this.#batches.close() : written, cb)
  }

  /** A record of a field partition or an event-time window. */
  #writePlaced (r: PlacedLine, cb: TransformCallback): void {
    let body: PassThrough | null
    try {
      body = this.#placed.write(r)
    } catch (err) {
      if ((err as { code?: string }).code !== 'ERR_EVENT_TIME') throw err
      return this.#afterWrite(this.#dispose(this.#invalids.take(err as EventTimeError, { record: r.record, head: r.line.slice(0, HEAD_CHARS) }, r.position), r.callback, r.position), cb)
    }
    this.#afterWrite(body, cb)
  }

  #writeBytes (input: Uint8Array, cb: TransformCallback): void {
    this.#afterWrite(writeBytes(this.#bytes, input), cb)
  }

  /** Hands an invalid record's acknowledgement to where it went; returns the body to wait on. */
  #dispose (disposal: Disposal, callback: DurableCallback | undefined, position: Position | undefined): PassThrough | null {
    disposal.ack(callback, position)
    return disposal.body
  }

  /** Acknowledges a write only once the body it went into can take more. */
  #afterWrite (body: PassThrough | null, cb: TransformCallback): void {
    if (body === null) return cb()
    if (body.destroyed) return cb(body.errored ?? new BatchAbortedError())
    if (!body.writableNeedDrain) return cb()
    if (!this.#slots.active) return whenWritable(body, () => new BatchAbortedError(), cb)
    this.#stalls.waitFor(body, cb)
  }
}
