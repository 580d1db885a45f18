import { systemClock, type Clock } from '../clock.js'

/** Reads of one cached time at most, however long the synchronous run. */
const READS_PER_TIME = 128

/**
 * The arrival time of records, read from `clock`. With the system clock, one
 * `Date.now()` serves the records of one synchronous run (those a source
 * pushes through the stages before the event loop turns), and at most
 * {@link READS_PER_TIME} of them: `Date.now()` cost 0.05 µs a call on
 * Node 24 and 0.13 on Node 20, more than a whole object-mode stream hop
 * (bench/RESULTS.md, round 8). No timer can fire within such a run, so a
 * window still closes at the first turn of the event loop after its end,
 * as its timer would. An injected clock is read every time: tests move it
 * between two synchronous writes.
 */
export class ArrivalClock {
  readonly #clock: Clock
  readonly #cached: boolean
  #time = 0
  /** Reads left of `#time`; 0: read the clock. */
  #left = 0
  readonly #expire = (): void => { this.#left = 0 }

  constructor (clock: Clock) {
    this.#clock = clock
    this.#cached = clock === systemClock
  }

  now (): number {
    if (!this.#cached) return this.#clock.now()
    if (this.#left === 0) {
      this.#time = this.#clock.now()
      queueMicrotask(this.#expire)
    }
    this.#left = this.#left === 0 ? READS_PER_TIME - 1 : this.#left - 1
    return this.#time
  }
}
