import { PassThrough } from 'node:stream'
import type { Batch, BatchStats } from '../batch.js'
import { BatchAcks } from '../batch-acks.js'
import type { Clock } from '../clock.js'
import { BatchAbortedError } from '../errors.js'
import type { Position } from '../source-position.js'
import { BodySlabs } from './body-slabs.js'

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
  /** The body chunk being filled: records are encoded straight into it, and it is written once the next one might not fit. */
  #chunk: Buffer | null = null
  #used = 0
  /** Once a block compressor asks (BodySlabs): chunks are stretches of slabs this size, filled to the last byte. */
  #slabSize = 0
  #slab: Buffer | null = null
  /** Bytes of the slab before the chunk being filled. */
  #slabUsed = 0

  constructor (init: OpenBatchInit) {
    this.#chunkSize = init.chunkSize
    this.#clock = init.clock
    this.body = new PassThrough({ highWaterMark: init.chunkSize })
    // The window reports a failure itself; a body destroyed before its
    // consumer took the batch must not crash the process as an unhandled
    // 'error'. A consumer that comes later still sees it (body.errored).
    this.body.on('error', () => {})
    BodySlabs.offer(this.body, (size) => { this.#slabSize ||= size })
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
    return this.#add(line, false)
  }

  /**
   * Adds one record's JSON text and the newline after it. The text is
   * encoded straight into the body chunk, which counts its exact size on
   * the way: no string concatenation, no second pass to count or convert.
   */
  addText (text: string): PassThrough | null {
    return this.#add(text, true)
  }

  /** Exact bytes so far. */
  get bytes (): number {
    return this.stats.bytes
  }

  /** Writes whole NDJSON lines holding `records` records. */
  writeLines (lines: Buffer, records: number): PassThrough {
    this.#flush()
    this.#slab = null // the next slab starts where the body is then, aligned again
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

  #add (text: string, newline: boolean): PassThrough | null {
    this.stats.records++
    // UTF-8 takes at most 3 bytes per UTF-16 unit: room for that is room enough.
    const most = text.length * 3 + (newline ? 1 : 0)
    let written: PassThrough | null = null
    if (this.#chunk !== null && this.#used + most > this.#chunk.length) {
      if (this.#atSlabEnd()) return this.#straddle(text, newline)
      written = this.#flush()
    }
    if (most > this.#chunkSize) {
      if (this.#slabSize > 0) return this.#straddle(text, newline)
      // Larger than a whole chunk: a chunk of its own.
      const big = Buffer.from(newline ? text + '\n' : text)
      this.stats.bytes += big.length
      this.body.write(big)
      return this.body
    }
    const chunk = this.#chunk ??= this.#nextChunk()
    if (this.#used + most > chunk.length) return this.#straddle(text, newline)
    let n = chunk.write(text, this.#used, most, 'utf8')
    if (newline) chunk[this.#used + n++] = 0x0a
    this.#used += n
    this.stats.bytes += n
    // Full to the last line's worst case: pass it on now rather than at the next record (at a slab's end, that one straddles).
    if (this.#used + most > chunk.length && !this.#atSlabEnd()) written = this.#flush()
    return written
  }

  /** A new chunk: its own buffer, or the next stretch of the slab (a new slab, aligned on the slab size in the body, once one is full). */
  #nextChunk (): Buffer {
    if (this.#slabSize === 0) return Buffer.allocUnsafe(this.#chunkSize)
    if (this.#slab === null || this.#slabUsed === this.#slab.length) {
      this.#slab = BodySlabs.alloc(this.#slabSize - this.stats.bytes % this.#slabSize)
      this.#slabUsed = 0
    }
    return this.#slab.subarray(this.#slabUsed, Math.min(this.#slabUsed + this.#chunkSize, this.#slab.length))
  }

  #atSlabEnd (): boolean {
    return this.#slab !== null && this.#chunk !== null && this.#slabUsed + this.#chunk.length === this.#slab.length
  }

  /** A record over the slab's end (or over a chunk): its bytes fill the slab to the last byte and go on in the next one. */
  #straddle (text: string, newline: boolean): PassThrough {
    const bytes = Buffer.from(newline ? text + '\n' : text)
    for (let at = 0; at < bytes.length;) {
      const chunk = this.#chunk ??= this.#nextChunk()
      const n = bytes.copy(chunk, this.#used, at)
      this.#used += n
      this.stats.bytes += n
      at += n
      if (this.#used === chunk.length) this.#flush()
    }
    return this.body
  }

  #flush (): PassThrough | null {
    const chunk = this.#chunk
    if (chunk === null || this.#used === 0) return null
    const used = this.#used
    this.#chunk = null
    this.#used = 0
    this.#slabUsed += used
    this.body.write(used === chunk.length ? chunk : chunk.subarray(0, used))
    return this.body
  }
}
