import type { BatchObjectOptions } from './batch-object-options.js'

/**
 * Options of the batched sink (`batched: { ... }`): those it shares with `createS3Destination()`, and its own for event time, partitions and stable keys.
 *
 * @example
 * ```ts
 * const batched: BatchOptions = { windowMs: 10_000, compression: 'zstd', stableKeys: true }
 * const sink = createS3Sink({ type: 's3', bucket: 'runs', region: 'us-west-2', batched })
 * // By the Runs' own time; a Run later than allowed is left out (and acknowledged), not stored under late/:
 * const byEventTime: BatchOptions = { timeOf: (run) => Date.parse((run as { createdAt: string }).createdAt), onLate: 'drop' }
 * ```
 */
export interface BatchOptions extends BatchObjectOptions {
  /** Windows by event time: the Run's time in ms (see `minuteWindow()`). Default: arrival time. */
  timeOf?: (record: unknown) => number
  /** With `timeOf`: how late a Run may be and still join its window. Default 0. */
  allowedLatenessMs?: number
  /**
   * With `timeOf`, a Run later than allowed: `'partition'` (default) stores it
   * in a batch of its own under `[prefix]late/`; `'drop'` leaves it out and
   * acknowledges it; `'error'` fails the sink with `ERR_LATE_RECORD`. Always
   * (but with `'error'`) announced with `'late'`. See `minuteWindow()`.
   */
  onLate?: 'partition' | 'drop' | 'error'
  /**
   * A Run no object can take (JSON cannot write it, or it is larger than
   * `maxBytes`): `'error'` (default) fails the sink with its index;
   * `'skip'` leaves it out and acknowledges it; `'dead-letter'` writes a line
   * about it under `[prefix]dead-letter/`. Announced with `'invalid'`
   * `{ index, error, record }`. See `minuteWindow()`, and `--on-invalid`.
   */
  onInvalid?: 'error' | 'skip' | 'dead-letter'
  /** With `timeOf`: close an event-time batch no Run joined for this long (processing time), so a quiet feed still delivers. Default `windowMs + allowedLatenessMs`. */
  idleTimeoutMs?: number
  /** Most partitions (of the key template's record fields) open at once. Default 16. */
  maxOpenPartitions?: number
  /**
   * Name each object after where its batch starts in the source (the first
   * Run's `sourcePosition`), so a replay writes the same keys (see
   * `keyRotate({ stableKeys })`). Turns `closeOnTime` off unless it is given.
   * Default `false`.
   */
  stableKeys?: boolean
  /** `false`: cut batches only by `maxRecords`/`maxBytes` and the end of the input, never on the window's timer. Default `true` (`false` with `stableKeys`). */
  closeOnTime?: boolean
}
