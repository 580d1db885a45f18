import type { PassThrough } from 'node:stream'
import type { DurableCallback } from '../durable.js'
import { LateRecordError } from '../errors.js'
import type { Position } from '../source-position.js'
import type { AckCaller } from './durable-callback.js'
import type { MarkSink } from './line-marks.js'
import type { OpenBatch } from './open-batch.js'
import type { RecordSlots } from './record-slots.js'
import { ackAtOnce } from './window-bytes.js'
import type { WindowBatches } from './window-batches.js'

const LATE = 'late'

/** What `minuteWindow()` announces with `'late'`. */
export interface LateRecord { index: number, time: number, watermark: number, record: unknown }

/** One record to place, its line already made and measured. */
export interface PlacedLine {
  record: unknown
  index: number
  line: string
  bytes: number
  callback: DurableCallback | undefined
  position: Position | undefined
}

/**
 * The record path of `minuteWindow()` when it has field partitions or
 * event time: each record goes to the batch of its partition and window;
 * the watermark closes the windows it passes; a record later than allowed
 * follows `onLate`.
 */
export class PlacedRecords {
  readonly #s: { maxBytes: number, onLate: 'partition' | 'drop' | 'error' }
  readonly #batches: WindowBatches
  readonly #slots: RecordSlots
  readonly #announce: (late: LateRecord) => void
  readonly #drop: MarkSink
  #late = 0

  /** `window` is the stage: what a dropped record's rejected async acknowledgement fails. */
  constructor (settings: { maxBytes: number, onLate: 'partition' | 'drop' | 'error' }, batches: WindowBatches, slots: RecordSlots, announce: (late: LateRecord) => void, window: AckCaller) {
    this.#s = settings
    this.#batches = batches
    this.#slots = slots
    this.#announce = announce
    this.#drop = ackAtOnce(window)
  }

  /** Records later than allowed, whatever `onLate` did with them. */
  get late (): number {
    return this.#late
  }

  /**
   * Writes one record; returns the body written to, if any. Throws
   * `EventTimeError` (an unusable time: the caller applies `onInvalid`) and
   * `LateRecordError` (`onLate: 'error'`).
   */
  write (r: PlacedLine): PassThrough | null {
    const slot = this.#slots.slotOf(r.record, r.index)
    if ('late' in slot) return this.#lateRecord(r, slot.time, slot.watermark)
    const place = (): OpenBatch => slot.time === undefined ? this.#batches.current(slot.partition, r.position, slot.fields) : this.#batches.currentAt({ ...slot, time: slot.time }, r.position)
    let open = place()
    if (open.stats.bytes + r.bytes > this.#s.maxBytes) {
      this.#batches.closeFull(open)
      open = place()
    }
    open.acks.add(r.callback, r.position)
    if (slot.time !== undefined) widen(open, slot.time)
    const written = open.addLine(r.line)
    const body = this.#batches.isFull(open) ? this.#batches.closeFull(open) : written
    if (slot.time !== undefined && this.#slots.watermark.observe(slot.time)) this.#batches.closeBefore(this.#slots.watermark.value)
    return body
  }

  /** Applies `onLate`; returns the body written to, if any. */
  #lateRecord (r: PlacedLine, time: number, watermark: number): PassThrough | null {
    if (this.#s.onLate === 'error') throw new LateRecordError(r.index, time, watermark)
    this.#late++
    this.#announce({ index: r.index, time, watermark, record: r.record })
    if (this.#s.onLate === 'drop') {
      this.#drop(r.callback, r.position)
      return null
    }
    let open = this.#batches.current(LATE, r.position)
    if (open.stats.bytes + r.bytes > this.#s.maxBytes) {
      this.#batches.close(LATE)
      open = this.#batches.current(LATE, r.position)
    }
    open.acks.add(r.callback, r.position)
    widen(open, time)
    const written = open.addLine(r.line)
    return this.#batches.isFull(open) ? this.#batches.close(LATE) : written
  }
}

/** The batch's event-time range takes in `time`. */
function widen (open: OpenBatch, time: number): void {
  open.stats.minTime = Math.min(open.stats.minTime ?? Infinity, time)
  open.stats.maxTime = Math.max(open.stats.maxTime ?? -Infinity, time)
}
