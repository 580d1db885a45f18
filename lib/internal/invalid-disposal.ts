import type { Position } from '../source-position.js'
import type { AckCaller } from './durable-callback.js'
import { deadLetterLine, type InvalidRecordError } from './invalid-records.js'
import type { MarkSink } from './line-marks.js'
import { ackAtOnce, acksOf, type Disposal } from './window-bytes.js'
import type { WindowBatches } from './window-batches.js'

const DEAD_LETTER = 'dead-letter'

/** What `minuteWindow()` announces with `'invalid'`. */
export interface InvalidAnnounced { index: number, error: InvalidRecordError, record: unknown }

/**
 * `minuteWindow()`'s `onInvalid` for a record or line no object can take:
 * throw it (`'error'`), drop it and acknowledge it at once (`'skip'`), or
 * write a line about it into the window's `dead-letter` batch, whose object
 * then acknowledges it (`'dead-letter'`).
 */
export class InvalidDisposal {
  readonly #s: { onInvalid: 'error' | 'skip' | 'dead-letter', maxBytes: number }
  readonly #batches: WindowBatches
  readonly #announce: (invalid: InvalidAnnounced) => void
  readonly #skip: MarkSink
  #skipped = 0

  /** `window` is the stage: what a skipped record's rejected async acknowledgement fails. */
  constructor (settings: { onInvalid: 'error' | 'skip' | 'dead-letter', maxBytes: number }, batches: WindowBatches, announce: (invalid: InvalidAnnounced) => void, window: AckCaller) {
    this.#s = settings
    this.#batches = batches
    this.#announce = announce
    this.#skip = ackAtOnce(window)
  }

  /** Invalid records let go: dropped under `'skip'` or dead-lettered under `'dead-letter'`. */
  get skipped (): number {
    return this.#skipped
  }

  /** Applies `onInvalid`; `position` is the record's, if known. */
  take (error: InvalidRecordError, about: { record?: unknown, head?: string }, position?: Position): Disposal {
    if (this.#s.onInvalid === 'error') throw error
    this.#skipped++
    this.#announce({ index: error.index, error, record: about.record })
    if (this.#s.onInvalid === 'skip') return { body: null, ack: this.#skip }
    return this.#deadLetter(error, about, position)
  }

  #deadLetter (error: InvalidRecordError, about: { record?: unknown, head?: string }, position?: Position): Disposal {
    const line = deadLetterLine(error, about)
    const bytes = Buffer.byteLength(line)
    let open = this.#batches.current(DEAD_LETTER, position)
    // A dead-letter line is kept whole, even alone above a tiny maxBytes.
    if (open.stats.records > 0 && open.stats.bytes + bytes > this.#s.maxBytes) {
      this.#batches.close(DEAD_LETTER)
      open = this.#batches.current(DEAD_LETTER, position)
    }
    const written = open.addLine(line)
    // The caller adds the record's acknowledgement in the same turn, so even
    // if the batch closes here, it is in before its upload can complete.
    return { body: this.#batches.isFull(open) ? this.#batches.close(DEAD_LETTER) : written, ack: acksOf(open) }
  }
}
