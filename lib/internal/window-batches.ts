import type { PassThrough } from 'node:stream'
import type { Batch } from '../batch.js'
import type { Clock } from '../clock.js'
import { BatchAbortedError } from '../errors.js'
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
  /** Announces a batch downstream, before any record is written into it. */
  announce: (batch: Batch) => void
}

/** The main feed's partition. */
export const MAIN = ''

/**
 * The open batches of a window stage, one per partition (the main feed and
 * the dead letters), each closed when full, when its window's time is up or
 * when the stage ends.
 */
export class WindowBatches {
  readonly #s: WindowBatchesSettings
  readonly #open = new Map<string, OpenBatch>()
  #seq = 0

  constructor (settings: WindowBatchesSettings) {
    this.#s = settings
  }

  /**
   * The batch of `partition` a record arriving now belongs to, opening (and
   * announcing) one if needed; `position` is that record's, so a new batch
   * is announced knowing it.
   */
  current (partition = MAIN, position?: Position): OpenBatch {
    const open = this.#open.get(partition)
    open?.assertWritable()
    if (open !== undefined && !this.#s.closeOnTime) return open
    const now = this.#s.clock.now()
    if (open !== undefined && now < open.batch.windowEnd) return open
    this.close(partition)
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
      position,
      ...(this.#s.closeOnTime ? { onTimeUp: () => { if (this.#open.get(partition) === next) this.close(partition) } } : {})
    })
    this.#open.set(partition, next)
    this.#s.announce(next.batch)
    return next
  }

  /** The open batch of `partition` reached `maxRecords` or `maxBytes`. */
  isFull (open: OpenBatch): boolean {
    return open.stats.records >= this.#s.maxRecords || open.stats.bytes >= this.#s.maxBytes
  }

  /** Ends the open batch of `partition`, if any; returns its body so the caller can wait for it to drain. */
  close (partition = MAIN): PassThrough | null {
    const open = this.#open.get(partition)
    if (open === undefined) return null
    this.#open.delete(partition)
    return open.close()
  }

  /** Ends every open batch. */
  closeAll (): void {
    for (const partition of [...this.#open.keys()]) this.close(partition)
  }

  /** Fails every open batch: a truncated body must fail its upload, never complete it. */
  destroyAll (err: Error | null): void {
    for (const open of this.#open.values()) open.destroy(err ?? new BatchAbortedError('minuteWindow() was destroyed before the window closed'))
    this.#open.clear()
  }
}
