import { Transform, type PassThrough, type TransformCallback } from 'node:stream'
import { BatchAbortedError, InvalidOptionError, toError } from '../errors.js'
import { whenWritable } from '../internal/drain.js'
import { InvalidDisposal } from '../internal/invalid-disposal.js'
import { LineFramer } from '../internal/line-framer.js'
import { MarkRouter } from '../internal/line-marks.js'
import { PlacedRecords } from '../internal/placed-records.js'
import { RecordSlots } from '../internal/record-slots.js'
import { StallWatch } from '../internal/stall-watch.js'
import { WindowBatches } from '../internal/window-batches.js'
import { writeBytes, type ByteWindow } from '../internal/window-bytes.js'
import { writeRecord, type RecordWindow } from '../internal/window-records.js'
import { resolveWindowOptions, type MinuteWindowOptions, type WindowSettings } from './minute-window-options.js'

export type { MinuteWindowOptions } from './minute-window-options.js'

/**
 * The stream {@link minuteWindow} returns.
 *
 * @example
 * ```ts
 * const window: MinuteWindowStream = minuteWindow({ onInvalid: 'skip' })
 * await pipeline(source, window, gzip(), s3Writable(cfg))
 * console.log(`${window.skipped} skipped, ${window.late} late`)
 * ```
 */
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
  readonly #records: RecordWindow
  /** Index of the next record or line, shared by both kinds of input. */
  readonly #counter = { index: 0 }
  readonly #slots: RecordSlots
  readonly #stalls: StallWatch
  readonly #placed: PlacedRecords
  readonly #invalids: InvalidDisposal
  /** A write's callback held until the queued batch is read. */
  #parked: TransformCallback | null = null

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
    this.#invalids = new InvalidDisposal(settings, this.#batches, (invalid) => { this.emit('invalid', invalid) }, this)
    this.#placed = new PlacedRecords(settings, this.#batches, this.#slots, (late) => { this.emit('late', late) }, this)
    this.#bytes = {
      ...settings,
      batches: this.#batches,
      framer: this.#framer,
      marks: new MarkRouter(),
      counter: this.#counter,
      invalid: (error, about, position) => this.#invalids.take(error, about, position)
    }
    this.#records = {
      ...settings,
      batches: this.#batches,
      slots: this.#slots,
      placed: this.#placed,
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

  /**
   * Transform's own `_write`, without the closure it makes per chunk (one
   * per record here): this stage pushes batches, not one output per input.
   */
  override _write (chunk: unknown, _encoding: BufferEncoding, cb: TransformCallback): void {
    const queued = this.readableLength
    let body: PassThrough | null
    try {
      if (chunk instanceof Uint8Array) {
        if (this.#slots.active) return cb(new InvalidOptionError(this.#s.timeOf === undefined ? 'options.partitionBy' : 'options.timeOf', 'needs record input: it cannot read fields of NDJSON bytes (leave serialize() out)'))
        body = writeBytes(this.#bytes, chunk)
      }
      else body = writeRecord(this.#records, chunk)
    } catch (err) {
      return cb(toError(err))
    }
    if (body === null || (!body.destroyed && !body.writableNeedDrain)) return this.#release(cb, queued)
    this.#afterWrite(body, (err) => { if (err !== undefined && err !== null) cb(err); else this.#release(cb, queued) })
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
      else this.#afterWrite(writeBytes(this.#bytes, last), done)
    } catch (err) {
      cb(toError(err))
    }
  }

  override _read (size: number): void {
    this.#stalls.clear()
    const parked = this.#parked
    this.#parked = null
    parked?.()
    super._read(size)
  }

  override _destroy (err: Error | null, cb: (error?: Error | null) => void): void {
    this.#stalls.clear()
    this.#batches.destroyAll(err)
    cb(err)
  }

  /**
   * As Transform does: a write that announced a batch into a full readable
   * side is acknowledged once the batch is read (one batch queued at most).
   */
  #release (cb: TransformCallback, queued: number): void {
    if (this.writableEnded || this.readableLength === queued || this.readableLength < this.readableHighWaterMark) return cb()
    this.#parked = cb
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
