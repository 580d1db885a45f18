import type { Readable } from 'node:stream'
import type { BatchAcks } from './batch-acks.js'

/**
 * Counters of a batch. The window stage updates them while it writes the
 * body, so they are final once `body` has ended.
 *
 * @example
 * ```ts
 * batch.body.on('end', () => { const { records, bytes }: BatchStats = batch.stats; console.log(records, bytes) })
 * ```
 */
export interface BatchStats {
  /** Records written into the batch. */
  records: number
  /** Uncompressed NDJSON bytes written into the batch. */
  bytes: number
  /** Smallest and largest event time of its records (`minuteWindow({ timeOf })` only), ms since the epoch. */
  minTime?: number
  maxTime?: number
  /**
   * Set when the batch ended because its window (of its partition) closed,
   * rather than because it was full: no further batch of this window
   * follows from the same closure. Manifests wait for it.
   */
  windowClosed?: boolean
}

/**
 * One object-to-be: what flows between `minuteWindow()`, `gzip()`,
 * `keyRotate()` and `s3Writable()`.
 *
 * A batch is announced as soon as its first record arrives and its bytes
 * follow through `body`, so a batch is never held whole in memory: the window
 * writes into `body` (respecting backpressure), `gzip()` replaces `body` with
 * the compressed stream, `keyRotate()` sets `key`, and `s3Writable()` streams
 * `body` into S3 as one object.
 *
 * Stages never mutate a batch they received; they pass on a copy
 * (`{ ...batch, body: compressed }`) that shares the same `stats` and `acks`.
 *
 * @example
 * ```ts
 * for await (const batch of source.pipe(minuteWindow())) {
 *   batch.body.pipe(fs.createWriteStream(`${batch.windowStart}.ndjson`))
 * }
 * ```
 */
export interface Batch {
  /** Marks the object as a batch so stages can reject anything else. */
  readonly kind: 'batch'
  /** The object's bytes. Ends when the window closes; destroyed on failure. */
  readonly body: Readable
  /** Start of the window, ms since the epoch, aligned to a multiple of `windowMs` (UTC). */
  readonly windowStart: number
  /** End of the window (exclusive), ms since the epoch. */
  readonly windowEnd: number
  /** When the first record of this batch arrived, ms since the epoch. Default keys use it. */
  readonly openedAt: number
  /** 0-based sequence number of this batch within its window stage. */
  readonly seq: number
  /**
   * Partition the records share, which default keys put in a folder of its
   * own: `'dead-letter'` for the dead letters of `onInvalid: 'dead-letter'`,
   * `undefined` for the main feed.
   */
  readonly partition?: string
  /**
   * Sanitized values of the record fields the window is partitioned by
   * (`minuteWindow({ partitionBy })`), by dotted path: what key templates
   * put in `{apiInfo.name}`.
   */
  readonly fields?: Readonly<Record<string, string>>
  /** Object key in the bucket; set by `keyRotate()` or, when absent, by `s3Writable()`. */
  readonly key?: string
  /** MIME type of the uncompressed content. */
  readonly contentType: string
  /** `'gzip'` once `gzip()` has compressed the body. */
  readonly contentEncoding?: string
  /** Live counters, final once `body` has ended. */
  readonly stats: BatchStats
  /**
   * The records' acknowledgements (`record[onDurable]`) and source positions,
   * shared by every copy of the batch. `s3Writable()` fires them once the
   * object is complete. Absent on batches made by hand.
   */
  readonly acks?: BatchAcks
}

/**
 * Tells whether a value is a {@link Batch}.
 *
 * @example
 * ```ts
 * new Writable({ objectMode: true, write (chunk, _, cb) { if (!isBatch(chunk)) return cb(new Error('not a batch')); chunk.body.resume(); cb() } })
 * ```
 */
export function isBatch (value: unknown): value is Batch {
  return typeof value === 'object' && value !== null && (value as Batch).kind === 'batch' &&
    typeof (value as Batch).body?.pipe === 'function'
}
