import type { PassThrough } from 'node:stream'
import type { Batch } from '../batch.js'
import type { Clock } from '../clock.js'
import { BatchAbortedError } from '../errors.js'
import { ArrivalClock } from './arrival-clock.js'
import type { Position } from '../source-position.js'
import { OpenBatch } from './open-batch.js'

export interface WindowBatchesSettings {
  windowMs: number
  maxBytes: number
  maxRecords: number
  chunkSize: number
  clock: Clock
  /** Close a batch when its window's time is up, and start a new one for a record of a later window. */
  closeOnTime: boolean
  /** Most batches of field partitions or event-time windows open at once; the least recently written is closed first. */
  maxOpenPartitions: number
  /** An event-time batch no record was written into for this long (processing time) is closed. */
  idleTimeoutMs: number
  /** Announces a batch downstream, before any record is written into it. */
  announce: (batch: Batch) => void
}

/** The main feed's partition. */
export const MAIN = ''

/** A place for records: a field partition (or the main feed) and, by event time, a window. */
export interface Slot {
  partition: string
  fields?: Readonly<Record<string, string>>
  /** Event time of the record (ms); absent: windows by arrival time. */
  time?: number
}

/**
 * The open batches of a window stage: one per partition (the main feed, the
 * dead letters, late records, field partitions) and, by event time, per
 * window. A batch is closed when full, when its window's time is up or the
 * watermark passes its end, when it sat idle, when more than
 * `maxOpenPartitions` are open (least recently written first) or when the
 * stage ends.
 */
export class WindowBatches {
  readonly #s: WindowBatchesSettings
  /** Open batches by slot id, least recently written first (only for bounded slots). */
  readonly #open = new Map<string, OpenBatch>()
  /** Open batches counted against maxOpenPartitions. */
  readonly #bounded = new Set<string>()
  /** Lowest window end among open event-time batches: nothing to close below it. */
  #firstEnd = Infinity
  #seq = 0
  readonly #ids = new WeakMap<OpenBatch, string>()
  /** When records arrive: read once per synchronous run of them with the system clock. */
  readonly #arrival: ArrivalClock

  constructor (settings: WindowBatchesSettings) {
    this.#s = settings
    this.#arrival = new ArrivalClock(settings.clock)
  }

  /**
   * The batch of `partition` a record arriving now belongs to, opening (and
   * announcing) one if needed; `position` is that record's, so a new batch
   * is announced knowing it.
   */
  current (partition = MAIN, position?: Position, fields?: Readonly<Record<string, string>>): OpenBatch {
    const open = this.#open.get(partition)
    open?.assertWritable()
    if (open !== undefined && (!this.#s.closeOnTime || this.#arrival.now() < open.batch.windowEnd)) return this.#touch(partition, open)
    this.close(partition, true)
    const now = this.#arrival.now()
    const { windowMs } = this.#s
    const windowStart = now - (((now % windowMs) + windowMs) % windowMs)
    const onTimeUp = this.#s.closeOnTime ? (next: OpenBatch) => () => { if (this.#open.get(partition) === next) this.close(partition, true) } : undefined
    return this.#openBatch(partition, { partition, ...(fields === undefined ? {} : { fields }) }, windowStart, now, position, onTimeUp, fields !== undefined)
  }

  /** The batch of a record at event time `slot.time` (never late: the caller checked). */
  currentAt (slot: Slot & { time: number }, position?: Position): OpenBatch {
    const windowStart = slot.time - (slot.time % this.#s.windowMs)
    const id = `${slot.partition}\u0000${windowStart}`
    const open = this.#open.get(id)
    open?.assertWritable()
    if (open !== undefined) {
      open.lastWriteAt = this.#s.clock.now()
      return this.#touch(id, open)
    }
    this.#firstEnd = Math.min(this.#firstEnd, windowStart + this.#s.windowMs)
    // Closed when the watermark passes its end; the idle timer only covers a feed that went quiet.
    const onIdle = (next: OpenBatch) => () => {
      if (this.#open.get(id) !== next) return
      const idleFor = this.#s.clock.now() - next.lastWriteAt
      if (idleFor >= this.#s.idleTimeoutMs) this.close(id, true)
      else next.restartTimer(this.#s.idleTimeoutMs - idleFor)
    }
    return this.#openBatch(id, slot, windowStart, slot.time, position, this.#s.closeOnTime ? onIdle : undefined, true)
  }

  /** Closes the event-time batches whose window ends at or before `watermark`. */
  closeBefore (watermark: number): void {
    if (watermark < this.#firstEnd) return
    this.#firstEnd = Infinity
    for (const [id, open] of [...this.#open]) {
      if (!id.includes('\u0000')) continue
      if (open.batch.windowEnd <= watermark) this.close(id, true)
      else this.#firstEnd = Math.min(this.#firstEnd, open.batch.windowEnd)
    }
  }

  /** The open batch of `partition` reached `maxRecords` or `maxBytes`. */
  isFull (open: OpenBatch): boolean {
    return open.stats.records >= this.#s.maxRecords || open.bytes >= this.#s.maxBytes
  }

  /**
   * Ends the open batch of a slot, if any; returns its body so the caller
   * can wait for it to drain. `windowClosed`: the window (not the batch's
   * size) ended it, so no further batch of this window follows.
   */
  close (id = MAIN, windowClosed = false): PassThrough | null {
    const open = this.#open.get(id)
    if (open === undefined) return null
    this.#open.delete(id)
    this.#bounded.delete(id)
    if (windowClosed) open.stats.windowClosed = true
    return open.close()
  }

  /** Ends `open` because it is full (more batches of its window may follow). */
  closeFull (open: OpenBatch): PassThrough | null {
    const id = this.#ids.get(open)
    return id === undefined || this.#open.get(id) !== open ? null : this.close(id)
  }

  /** Closes the least recently written bounded batch other than the one writing into `except`; false when there is none. */
  closeLeastRecent (except: PassThrough | null): boolean {
    for (const id of this.#bounded) {
      if (this.#open.get(id)?.body === except) continue
      this.close(id, true)
      return true
    }
    return false
  }

  /** Ends every open batch. */
  closeAll (): void {
    for (const id of [...this.#open.keys()]) this.close(id, true)
  }

  /** Fails every open batch: a truncated body must fail its upload, never complete it. */
  destroyAll (err: Error | null): void {
    for (const open of this.#open.values()) open.destroy(err ?? new BatchAbortedError('minuteWindow() was destroyed before the window closed'))
    this.#open.clear()
    this.#bounded.clear()
  }

  #openBatch (id: string, slot: Slot, windowStart: number, openedAt: number, position: Position | undefined,
    onTimeUp: ((next: OpenBatch) => () => void) | undefined, bounded: boolean): OpenBatch {
    if (bounded && this.#bounded.size >= this.#s.maxOpenPartitions) {
      // The least recently written: Map order, refreshed on every write to a bounded slot.
      for (const oldest of this.#bounded) {
        this.close(oldest, true)
        break
      }
    }
    const { windowMs, chunkSize, clock } = this.#s
    const timed = slot.time !== undefined
    const next: OpenBatch = new OpenBatch({
      windowStart,
      windowEnd: windowStart + windowMs,
      openedAt,
      seq: this.#seq++,
      ...(slot.partition === MAIN ? {} : { partition: slot.partition }),
      ...(slot.fields === undefined ? {} : { fields: slot.fields }),
      chunkSize,
      clock,
      position,
      ...(onTimeUp === undefined ? {} : { onTimeUp: () => { if (next !== undefined) onTimeUp(next)() } }),
      ...(timed ? { timeUpAfterMs: this.#s.idleTimeoutMs } : {})
    })
    next.lastWriteAt = clock.now()
    this.#open.set(id, next)
    this.#ids.set(next, id)
    if (bounded) this.#bounded.add(id)
    this.#s.announce(next.batch)
    return next
  }

  #touch (id: string, open: OpenBatch): OpenBatch {
    if (this.#bounded.has(id)) {
      this.#bounded.delete(id)
      this.#bounded.add(id)
    }
    return open
  }
}
