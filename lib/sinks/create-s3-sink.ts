import type { Writable } from 'node:stream'
import { batchedSink } from '../internal/batched-sink.js'
import { routedSink } from '../internal/routed-sink.js'
import { RunSink } from '../internal/run-sink.js'
import { resolveSinkConfig, type S3SinkConfig } from './sink-config.js'

export { runKey } from '../internal/run-key.js'
export { RUN_CONCURRENCY } from '../internal/run-sink.js'
export type { RunWritten } from './run-written.js'

/**
 * The S3 sink of a Run or Job, from its documented config: every Run result
 * that passes `apisToSend` and `skipOnFail` becomes one `.json` object whose
 * content is exactly `JSON.stringify(run)`, at
 * `[prefix][api name]/[runId].json` (so a redelivered Run replaces its
 * object; Runs with the same key are written one after the other, never at
 * once), or `[prefix][api name]/YYYY/MM/DD/HH/YYYY-MM-DD-HH-MM-SS-<hex>.json`
 * when it has no `apiInfo.runId`.
 *
 * With `batched`, it is instead `filterApis → minuteWindow → gzip → keyRotate
 * → s3Writable` as one writable: one NDJSON gzip object per window.
 *
 * With `routes`, each Run goes to the first route whose `when` takes it, and
 * each route stores its Runs its own way (per Run or batched, its prefix,
 * template and compression) through one `s3Writable()`: one upload pool, one
 * backpressure. Its `'object'` events name the route
 * ({@link RoutedObjectWritten}). A Run no route takes fails the sink
 * (`ERR_CALLBACK`), or with `unmatched: 'drop'` is left out.
 *
 * Either way, `'finish'` (and `pipeline()`) waits for every upload, a failed
 * upload fails the stream once with `ERR_S3_UPLOAD`, and a bad config throws a
 * `ConfigError` listing every problem. Emits `'object'` per object S3
 * confirmed, `'abandoned'` ({@link ObjectAbandoned}) per object given up on a
 * failure or destroy,
 * `'retry'` (`{ key, attempt, delayMs, error }`) before every retry of a
 * request (retriable failures are retried until `retryFor` passes), and
 * `'drop'` (`{ record, reason }`) per Run filtered out (or, with `unmatched: 'drop'`, that no route took);
 * batched, the window's `'late'` and `'invalid'` too. A Run's `onDurable`
 * callback runs once its object (or batch) is stored, or at once when it is
 * filtered out; one that throws fails the sink with `ERR_CALLBACK`.
 *
 * @example
 * ```ts
 * const sink = createS3Sink({ type: 's3', bucket: 'runs', region: 'us-west-2', accessKeyId, secretAccessKey, prefix: 'prod/', skipOnFail: true })
 * sink.on('object', ({ key }) => console.log('stored', key))
 * await pipeline(runs, sink)
 *
 * // Failed Runs one object each under errors/, the others batched under runs/:
 * const failed = (run: unknown) => (run as { apiInfo?: { result?: { status?: string } } }).apiInfo?.result?.status === 'failed'
 * await pipeline(runs, createS3Sink({ type: 's3', bucket: 'runs', region: 'us-west-2', routes: [
 *   { name: 'errors', when: failed, prefix: 'errors/' },
 *   { name: 'runs', prefix: 'runs/', batched: { compression: 'zstd' } }
 * ] }))
 *
 * // Only the failed Runs, one object each; the others are left out (announced with 'drop'):
 * await pipeline(runs, createS3Sink({ type: 's3', bucket: 'runs', region: 'us-west-2', routes: [{ name: 'errors', when: failed }], unmatched: 'drop' }))
 * ```
 */
export function createS3Sink (config: S3SinkConfig): Writable {
  const settings = resolveSinkConfig(config)
  const { sink, last } = settings.routes !== undefined ? routedSink(settings, settings.routes)
    : settings.batched === null ? { sink: new RunSink(settings), last: null } : batchedSink(settings)
  // Its sockets go with it; 'close' comes once every upload or abort has ended.
  if (settings.ownsClient) (last ?? sink).once('close', () => { settings.client.destroy() })
  return sink
}
