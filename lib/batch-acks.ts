import type { Writable } from 'node:stream'
import type { DurableCallback } from './durable.js'
import type { CallbackError } from './errors.js'
import { callDurable, type AckCaller } from './internal/durable-callback.js'
import type { Position } from './source-position.js'

/**
 * The acknowledgements of one batch's records and the positions they came
 * from. The window stage fills it while the batch is open; `s3Writable()`
 * fires it once the batch's object is complete in S3, and drops it, never
 * firing, when the object failed or was aborted. Stages pass batches on as
 * copies (`{ ...batch }`) that share this one holder, like `stats`.
 *
 * @example
 * ```ts
 * const error = batch.acks?.fire(sink) ?? null // after the object is stored
 * if (error !== null) sink.destroy(error)
 * ```
 */
export class BatchAcks {
  #callbacks: DurableCallback[] = []
  #state: 'open' | 'fired' | 'dropped' = 'open'
  #first: Position | undefined
  #last: Position | undefined
  #count = 0
  #sealed = false
  #caller: AckCaller | undefined

  /** Position of the first record of the batch that carried one. Set before the batch is announced. */
  get first (): Position | undefined {
    return this.#first
  }

  /** Position of the last record added so far that carried one. */
  get last (): Position | undefined {
    return this.#last
  }

  /** Acknowledgements added so far (fired or not). */
  get count (): number {
    return this.#count
  }

  /**
   * The window has written its last record into the batch (or given up on
   * it): the body's producer is done, whatever the stages after it still
   * hold. Until then an upload of the batch goes at the window's pace.
   */
  get sealed (): boolean {
    return this.#sealed
  }

  /** Marks the batch's records as all written (see {@link BatchAcks.sealed}). */
  seal (): void {
    this.#sealed = true
  }

  /** `'open'` until fired (the object is stored) or dropped (it failed). */
  get state (): 'open' | 'fired' | 'dropped' {
    return this.#state
  }

  /**
   * Adds one record's callback and position, either of which may be absent.
   * Once fired the object is already durable, so a late callback runs at
   * once; once dropped it never runs. Returns the error of a callback that
   * ran here and threw.
   */
  add (callback: DurableCallback | undefined, position?: Position): CallbackError | null {
    if (position !== undefined) {
      this.#first ??= position
      this.#last = position
    }
    if (callback === undefined) return null
    this.#count++
    if (this.#state === 'fired') return callDurable(callback, this.#caller)
    if (this.#state === 'open') this.#callbacks.push(callback)
    return null
  }

  /**
   * Calls every callback once, each even when an earlier one threw; returns
   * the first failure as a `CallbackError`, or `null`. Later calls do nothing.
   * A callback that returns a promise which rejects fails `caller` (the
   * stream firing them, while it is open) with a `CallbackError`, as a throw
   * would; so do those of records added once fired.
   */
  fire (caller?: Writable): CallbackError | null {
    if (this.#state !== 'open') return null
    this.#state = 'fired'
    this.#caller = caller
    const callbacks = this.#callbacks
    this.#callbacks = []
    let failure: CallbackError | null = null
    for (const callback of callbacks) {
      const error = callDurable(callback, caller)
      failure ??= error
    }
    return failure
  }

  /** The object will never be complete: forget the callbacks without calling them. */
  drop (): void {
    if (this.#state !== 'open') return
    this.#state = 'dropped'
    this.#callbacks = []
  }
}
