import { resolveOptions, type S3DestinationOptions } from './destination-options.js'
import { S3Destination } from './s3-destination.js'

/**
 * A Pipedream-style S3 destination: `send({ bucket, prefix, payload })`
 * queues a payload and returns at once. Each (bucket, prefix) pair gets its
 * own batches, one gzip NDJSON object per minute window, named
 * `[prefix]YYYY/MM/DD/HH/YYYY-MM-DD-HH-MM-SS-IDENTIFIER.gz` and uploaded
 * with multipart upload; every pair shares one S3 client.
 *
 * - Backpressure: `send()` returns `false` once any route holds more than it
 *   can upload; wait for `'drain'` (or `await destination.ready()`).
 * - A payload JSON cannot serialize throws a `SerializationError` from
 *   `send()` and is not queued; one larger than `maxBytes` throws a
 *   `WindowOverflowError`.
 * - The first failed upload is emitted once as `'error'` (an `S3UploadError`;
 *   attach a listener, as for any EventEmitter) and rejects every later
 *   `flush()`, `close()` and `ready()`; `send()` then throws it. Other
 *   routes still store what they hold.
 * - Emits `'object'` ({@link ObjectWritten}) for every object stored,
 *   `'retry'` (`{ key, attempt, delayMs, error }`) before every retry of a
 *   request (retriable failures are retried until `retryFor` passes), and,
 *   with `timeOf`, `'late'` (`{ bucket, prefix, payload, time, watermark }`)
 *   per payload later than `allowedLatenessMs`, counted in `stats.late` and
 *   stored under `late/` (with `onLate: 'drop'`: left out, acknowledged and
 *   counted in `stats.dropped`; with `onLate: 'error'`: the pair fails with
 *   `ERR_LATE_RECORD`).
 * - `send({ ..., onDurable })` calls `onDurable` once the payload's object is
 *   stored: acknowledge it to its source then, not when `send()` returns.
 *
 * @example
 * ```ts
 * const destination = createS3Destination({ bucket: 'my-bucket', region: 'us-west-2' })
 * destination.on('error', (err) => console.error(err.code, err.message))
 * if (!destination.send({ prefix: 'events/', payload: event.body })) await destination.ready()
 * await destination.close() // uploads the open batches, stops every timer
 * ```
 */
export function createS3Destination (options: S3DestinationOptions = {}): S3Destination {
  return new S3Destination(resolveOptions(options))
}
