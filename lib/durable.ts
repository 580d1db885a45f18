/**
 * The key under which a record carries its acknowledgement callback.
 *
 * A source that must not forget a record before it is safely stored (a log's
 * consumer group, a queue, a file offset) puts a function under this symbol:
 * `record[onDurable] = () => msg.ack()`. Symbol keys are not serialized, so
 * the stored JSON is unchanged. The library calls it exactly once: after the
 * object holding the record is complete in S3, or when the record is filtered
 * out or skipped on purpose (after its dead letter is stored, for
 * `onInvalid: 'dead-letter'`). Never before, never twice, and never for a
 * record whose object failed or was aborted.
 *
 * `Symbol.for` so that two copies of this package (an ESM and a CJS load, or
 * two versions in one tree) agree on the key.
 *
 * @example
 * ```ts
 * import { onDurable } from 's3-stream-sink'
 * const feed = new PassThrough({ objectMode: true }) // the pipeline's source
 * for await (const msg of subscription) {
 *   const record = JSON.parse(msg.data) as Record<PropertyKey, unknown>
 *   record[onDurable] = () => msg.ack()
 *   if (!feed.write(record)) await once(feed, 'drain')
 * }
 * ```
 */
export const onDurable: unique symbol = Symbol.for('s3-stream-sink.onDurable')

/**
 * The acknowledgement callback a record may carry under {@link onDurable}.
 * It may be async: its promise is not waited for before the next record, but
 * a rejection fails the stage or sink with `ERR_CALLBACK` (never an
 * unhandled rejection), and a sink's `final` waits for the promises still
 * running, so `pipeline()` resolves only once they have.
 *
 * @example
 * ```ts
 * const ack: DurableCallback = () => { message.ack() }
 * feed.write({ ...record, [onDurable]: ack })
 * ```
 */
export type DurableCallback = () => void

/**
 * A record that may carry an acknowledgement callback.
 *
 * @example
 * ```ts
 * const record: DurableRecord = { id: 1, [onDurable]: () => console.log('stored') }
 * ```
 */
export interface DurableRecord {
  [onDurable]?: DurableCallback
  [key: string]: unknown
}
