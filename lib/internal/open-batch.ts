import { PassThrough } from 'node:stream'
import type { Batch, BatchStats } from '../batch.js'
import { BatchAcks } from '../batch-acks.js'
import type { Clock } from '../clock.js'
import { BatchAbortedError } from '../errors.js'
import type { Position } from '../source-position.js'
import { BodyChunks } from './body-chunks.js'

export interface OpenBatchInit {
  windowStart: number
  windowEnd: number
  openedAt: number
  seq: number
  /** Set for batches apart from the main feed, e.g. `dead-letter`, or a field partition (`apiInfo.name=search`). */
  partition?: string
  /** Sanitized values of the record fields of a field partition. */
  fields?: Readonly<Record<string, string>>
  /** Body buffer size, and the size at which coalesced records are written through. */
  chunkSize: number
  clock: Clock
  /** Called when the window's time is up; without it no timer is set. */
  onTimeUp?: () => void
  /** When `onTimeUp` is called, in ms from now. Default: at `windowEnd`, counting from `openedAt`. */
  timeUpAfterMs?: number
  /** Position of the batch's first record, known before the batch is announced (keys may be made of it). */
  position?: Position
}

/**
 * A batch while its window is open: the body the window writes into, the
 * records coalesced but not yet written, and the timer that closes it.
 * Methods that write return the body, so the caller can wait for it to drain.
 */
export class OpenBatch {
  readonly batch: Batch
  readonly body: PassThrough
  readonly stats: BatchStats = { records: 0, bytes: 0 }
  readonly acks = new BatchAcks()
  /** When a record was last written into it (processing time); the window stage keeps it up to date for idle timeouts. */
  lastWriteAt = 0
  readonly #clock: Clock
  readonly #chunks: BodyChunks
  #timer: unknown
  #onTimeUp: (() => void) | undefined

  constructor (init: OpenBatchInit) {
    this.#clock = init.clock
    this.body = new PassThrough({ highWaterMark: init.chunkSize })
    // The window reports a failure itself; a body destroyed before its
    // consumer took the batch must not crash the process as an unhandled
    // 'error'. A consumer that comes later still sees it (body.errored).
    this.body.on('error', () => {})
    this.#chunks = new BodyChunks(this.body, init.chunkSize, this.stats)
    this.batch = {
      kind: 'batch',
      body: this.body,
      windowStart: init.windowStart,
      windowEnd: init.windowEnd,
      openedAt: init.openedAt,
      seq: init.seq,
      contentType: 'application/x-ndjson',
      stats: this.stats,
      acks: this.acks,
      ...(init.partition === undefined ? {} : { partition: init.partition }),
      ...(init.fields === undefined ? {} : { fields: init.fields })
    }
    this.acks.add(undefined, init.position)
    this.#onTimeUp = init.onTimeUp
    this.#timer = init.onTimeUp === undefined ? undefined : init.clock.setTimeout(init.onTimeUp, init.timeUpAfterMs ?? init.windowEnd - init.openedAt)
  }

  /** Calls `onTimeUp` again, `ms` from now (an idle batch that was written to meanwhile). */
  restartTimer (ms: number): void {
    if (this.#onTimeUp === undefined) return
    this.#clearTimer()
    this.#timer = this.#clock.setTimeout(this.#onTimeUp, ms)
  }

  /** Throws the body's error when its consumer destroyed it: records must not go on into nothing. */
  assertWritable (): void {
    if (this.body.destroyed) throw this.body.errored ?? new BatchAbortedError()
  }

  /** Adds one serialized record; `line` ends in its newline. */
  addLine (line: string): PassThrough | null {
    this.stats.records++
    return this.#chunks.add(line, false)
  }

  /**
   * Adds one record's JSON text and the newline after it. The text is
   * encoded straight into the body chunk, which counts its exact size on
   * the way: no string concatenation, no second pass to count or convert.
   */
  addText (text: string): PassThrough | null {
    this.stats.records++
    return this.#chunks.add(text, true)
  }

  /** Exact bytes so far. */
  get bytes (): number {
    return this.stats.bytes
  }

  /** Writes whole NDJSON lines holding `records` records. */
  writeLines (lines: Buffer, records: number): PassThrough {
    this.stats.records += records
    return this.#chunks.addWhole(lines)
  }

  /** Ends the batch: writes what is coalesced, ends the body, clears the timer. */
  close (): PassThrough {
    this.#clearTimer()
    this.acks.seal()
    if (this.body.destroyed) return this.body
    this.#chunks.flush()
    this.body.end()
    return this.body
  }

  /** Fails the batch. Never end() here: a truncated body must fail its upload, not complete it. */
  destroy (err: Error): void {
    this.#clearTimer()
    this.acks.seal()
    this.acks.drop()
    this.body.destroy(err)
  }

  #clearTimer (): void {
    if (this.#timer !== undefined) this.#clock.clearTimeout(this.#timer)
  }
}
