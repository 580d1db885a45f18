import type { PassThrough } from 'node:stream'
import type { Clock } from '../clock.js'
import { BatchAbortedError } from '../errors.js'
import { whenWritable } from './drain.js'
import type { WindowBatches } from './window-batches.js'

/** How long a write waits on a partition's batch before other partitions are closed to free an upload slot. */
const STALL_MS = 250

/**
 * Every open batch of a partitioned `minuteWindow()` is an upload in
 * progress, and a sink with fewer upload slots than open partitions takes
 * the next batch, or lets a batch drain, only once another one ends. This
 * closes the least recently written open batch once per STALL_MS while the
 * feed waits, so it always moves on.
 */
export class StallWatch {
  readonly #clock: Clock
  readonly #batches: WindowBatches
  readonly #full: () => boolean
  /** Set while a batch waits to be taken downstream. */
  #timer: unknown = undefined

  /** `full`: the window's output buffer holds a batch nobody took yet. */
  constructor (clock: Clock, batches: WindowBatches, full: () => boolean) {
    this.#clock = clock
    this.#batches = batches
    this.#full = full
  }

  /** A batch was announced and nobody took it yet: the sink may be waiting for open batches to end. */
  watch (): void {
    if (this.#timer !== undefined) return
    this.#timer = this.#clock.setTimeout(() => {
      this.#timer = undefined
      if (this.#full() && this.#batches.closeLeastRecent(null)) this.watch()
    }, STALL_MS)
  }

  /** The output was read: nothing waits to be taken. */
  clear (): void {
    this.#clock.clearTimeout(this.#timer)
    this.#timer = undefined
  }

  /**
   * Calls `cb` once `body` drains. The batch written to may wait for a slot
   * that only a closing batch frees: close the least recently written
   * others, one per STALL_MS, until it drains.
   */
  waitFor (body: PassThrough, cb: (err?: Error | null) => void): void {
    let timer: unknown
    const arm = (): void => { timer = this.#clock.setTimeout(() => { if (this.#batches.closeLeastRecent(body)) arm() }, STALL_MS) }
    arm()
    whenWritable(body, () => new BatchAbortedError(), (err) => {
      this.#clock.clearTimeout(timer)
      cb(err)
    })
  }
}
