import { PassThrough } from 'node:stream'
import type { Batch, BatchStats } from '../batch.js'
import { BatchAcks } from '../batch-acks.js'
import type { Clock } from '../clock.js'
import { BatchAbortedError } from '../errors.js'
import type { Position } from '../source-position.js'

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
  readonly #chunkSize: number
  readonly #clock: Clock
  #timer: unknown
  #onTimeUp: (() => void) | undefined
  #pending = ''
  /** Bytes of `#pending` already counted in `stats.bytes`. */
  #pendingBytes = 0
  /** UTF-16 length of the lines of `#pending` whose bytes are not counted yet (see {@link OpenBatch.addText}). */
  #uncountedChars = 0

  constructor (init: OpenBatchInit) {
    this.#chunkSize = init.chunkSize
    this.#clock = init.clock
    this.body = new PassThrough({ highWaterMark: init.chunkSize })
    // The window reports a failure itself; a body destroyed before its
    // consumer took the batch must not crash the process as an unhandled
    // 'error'. A consumer that comes later still sees it (body.errored).
    this.body.on('error', () => {})
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

  /** Adds one serialized record; writes the coalesced text through once it reaches chunkSize. */
  addLine (line: string, bytes: number): PassThrough | null {
    this.#pending += line
    this.#pendingBytes += bytes
    this.stats.records++
    this.stats.bytes += bytes
    return this.#pendingBytes >= this.#chunkSize ? this.#flush() : null
  }

  /**
   * Adds one serialized record whose UTF-8 size is counted only when it
   * matters: when the chunk is written, or when `maxBytes` is near (see
   * {@link OpenBatch.reaches}). Counting every line costs a pass over it;
   * with the default 1 GiB `maxBytes` one pass per 64 KiB chunk does.
   */
  addText (line: string): PassThrough | null {
    this.#pending += line
    this.#uncountedChars += line.length
    this.stats.records++
    return this.#pendingBytes + this.#uncountedChars >= this.#chunkSize ? this.#flush() : null
  }

  /** Whether the batch holds `bytes` bytes or more, lines not yet counted included. */
  reaches (bytes: number): boolean {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: below the bound, no count is needed.
    if (this.stats.bytes + this.#uncountedChars * 3 < bytes) return false
    return this.bytes >= bytes
  }

  /** Exact bytes so far, counting the lines added by `addText` now. */
  get bytes (): number {
    if (this.#uncountedChars > 0) {
      const counted = Buffer.byteLength(this.#pending) - this.#pendingBytes
      this.stats.bytes += counted
      this.#pendingBytes += counted
      this.#uncountedChars = 0
    }
    return this.stats.bytes
  }

  /** Writes whole NDJSON lines holding `records` records. */
  writeLines (lines: Buffer, records: number): PassThrough {
    this.#flush()
    this.stats.records += records
    this.stats.bytes += lines.length
    this.body.write(lines)
    return this.body
  }

  /** Ends the batch: writes what is coalesced, ends the body, clears the timer. */
  close (): PassThrough {
    this.#clearTimer()
    this.acks.seal()
    if (this.body.destroyed) return this.body
    this.#flush()
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

  #flush (): PassThrough | null {
    if (this.#pending.length === 0) return null
    const text = this.#pending
    this.#pending = ''
    if (this.#uncountedChars === 0) {
      this.#pendingBytes = 0
      this.body.write(text)
      return this.body
    }
    // The body would turn the text into bytes anyway: done here, the count comes with it.
    const chunk = Buffer.from(text)
    this.stats.bytes += chunk.length - this.#pendingBytes
    this.#pendingBytes = 0
    this.#uncountedChars = 0
    this.body.write(chunk)
    return this.body
  }
}
