import type { S3Client } from '@aws-sdk/client-s3'
import { MAX_TIMER_MS, systemClock, type Clock } from '../clock.js'
import { resolveCompression, type CompressionSettings } from '../internal/compression.js'
import { normalizePrefix } from '../internal/object-key.js'
import { CONNECTION_FIELDS, type S3ConnectionOptions } from '../internal/s3-client.js'
import { OptionProblems } from '../internal/option-problems.js'
import { validateRetryFor } from '../internal/retry-options.js'
import { validateBoolean, validateClock, validateInteger, validateObject, validateBucket } from '../internal/validate.js'
import type { BatchObjectOptions } from './batch-object-options.js'
import type { RouteSettings } from './destination-route.js'
import { validateUploadParams, type UploadParams } from './upload-params.js'
import { ownClient, resolveManifests } from './writable-options.js'
import { besideTimeOf } from '../internal/batch-config.js'
import { resolveKeyTemplate } from '../internal/template-key.js'
import type { KeyTemplate } from '../key-template.js'
import { minuteWindow } from '../stages/minute-window.js'

/**
 * Options of `createS3Destination()`: where to deliver, how to batch, how to connect.
 *
 * @example
 * ```ts
 * const options: S3DestinationOptions = { bucket: 'logs', region: 'us-west-2', windowMs: 10_000, compression: 'zstd' }
 * const destination = createS3Destination(options)
 * // By the payloads' own time, late ones left out: counted in stats.late and stats.dropped.
 * const byEventTime = createS3Destination({ bucket: 'logs', timeOf: (p) => (p as { at: number }).at, onLate: 'drop' })
 * ```
 */
export interface S3DestinationOptions extends S3ConnectionOptions, BatchObjectOptions {
  /** Default bucket for `send()` calls that name none. */
  bucket?: string
  /** Default key prefix for `send()` calls that name none; `logs` and `logs/` are the same. Default: none. */
  prefix?: string
  /** An S3 client of your own, shared by every route and never destroyed here; then no connection field may be given. */
  client?: S3Client
  /** Multipart part size in bytes, at least 5 MiB. Default 5 MiB. */
  partSize?: number
  /** Parts of one object uploaded in parallel. Default 4. */
  queueSize?: number
  /** Objects of one (bucket, prefix) uploaded at once; further batches wait. Default 2. */
  concurrency?: number
  /** On `destroy()`, how long to wait for parts in flight before aborting anyway, in ms. Default 10000. */
  abortTimeout?: number
  /** Extra parameters for every object (`StorageClass`, `ServerSideEncryption`, `Metadata`, ...), as for `s3Writable()`. */
  params?: UploadParams
  /** Time source and timers (windows, retry waits); tests inject a fake one. Default `systemClock`. */
  clock?: Clock
  /** How long a failing request of an object is retried, in ms from its first failure. Default 900000 (15 minutes); see `s3Writable()`. */
  retryFor?: number
  /** Conditional writes (`If-None-Match: *`): an object already at the key counts as stored. Default `false`. */
  ifNoneMatch?: boolean
  /** Key template (see `keyTemplate()`); its record fields (of the payload) partition each pair's windows. Default: the dated default key. */
  keyTemplate?: string | KeyTemplate
  /** IANA time zone of `keyTemplate`'s date parts. Default `UTC`. */
  timeZone?: string
  /** Windows by event time: the payload's time in ms (see `minuteWindow()`). Default: arrival time. */
  timeOf?: (payload: unknown) => number
  /** With `timeOf`: how late a payload may be and still join its window. Default 0. */
  allowedLatenessMs?: number
  /**
   * With `timeOf`, a payload later than allowed: `'partition'` (default)
   * stores it under `[prefix]late/` (counted in `stats.late`, then
   * `delivered`); `'drop'` leaves it out and calls its `onDurable` (counted
   * in `stats.late` and `stats.dropped`); `'error'` fails its pair with
   * `ERR_LATE_RECORD`, emitted as `'error'` (its `index` counts the payloads
   * of that pair). See `minuteWindow()`.
   */
  onLate?: 'partition' | 'drop' | 'error'
  /** With `timeOf`: close an event-time batch no payload joined for this long (processing time), so a quiet pair still delivers. Default `windowMs + allowedLatenessMs`. */
  idleTimeoutMs?: number
  /** Most partitions open at once per pair. Default 16. */
  maxOpenPartitions?: number
}

/** The options of a destination once checked and defaulted. */
export interface ResolvedOptions {
  settings: RouteSettings
  /** The client was built here, so `close()` destroys it. */
  ownClient: boolean
  bucket: string | undefined
  /** Normalized: `''` or ending in `/`. */
  prefix: string
}

const DEFAULTS = Object.freeze({
  windowMs: 60_000,
  maxBytes: 1024 * 1024 * 1024,
  partSize: 5 * 1024 * 1024,
  queueSize: 4,
  concurrency: 2,
  abortTimeout: 10_000
})
const OWN_FIELDS = [
  'bucket', 'prefix', 'client', 'windowMs', 'maxBytes', 'maxRecords', 'compression', 'level', 'threads', 'encodingHeader',
  'partSize', 'queueSize', 'concurrency', 'abortTimeout', 'clock', 'params', 'retryFor', 'ifNoneMatch',
  'keyTemplate', 'timeZone', 'timeOf', 'allowedLatenessMs', 'onLate', 'idleTimeoutMs', 'maxOpenPartitions', 'manifests', 'chunkSize'
] as const

/**
 * Checks every option synchronously, so a bad one fails where the
 * destination is built rather than at the first lazily created route, and
 * reports every problem at once in one `InvalidOptionError` (`issues`;
 * unknown options with their nearest known name). The ranges are those of
 * the stages the routes are built from.
 *
 * @example
 * ```ts
 * const { settings, bucket, prefix } = resolveOptions({ bucket: 'logs', windowMs: 10_000 })
 * ```
 */
export function resolveOptions (options: S3DestinationOptions): ResolvedOptions {
  validateObject(options, 'options')
  const given = options ?? {}
  const problems = new OptionProblems()
  const check = problems.check.bind(problems)
  problems.unknownKeys(given, 'options', [...OWN_FIELDS, ...CONNECTION_FIELDS])
  const bucket = check(() => validateBucket(given.bucket, 'options.bucket'))
  const prefix = check(() => normalizePrefix(given.prefix, 'options.prefix'))
  const clock = check(() => validateClock(given.clock, 'options.clock'))
  const params = check(() => validateUploadParams(given.params, 'options.params'))
  const windowMs = check(() => validateInteger(given.windowMs, 'options.windowMs', 1, MAX_TIMER_MS))
  const maxBytes = check(() => validateInteger(given.maxBytes, 'options.maxBytes', 1))
  const maxRecords = check(() => validateInteger(given.maxRecords, 'options.maxRecords', 1))
  const chunkSize = check(() => validateInteger(given.chunkSize, 'options.chunkSize', 1))
  const compression = check(() => resolveCompression({ compression: given.compression, level: given.level, threads: given.threads }, 'options'))
  const encodingHeader = check(() => validateBoolean(given.encodingHeader, 'options.encodingHeader'))
  const partSize = check(() => validateInteger(given.partSize, 'options.partSize', DEFAULTS.partSize, 5 * 1024 ** 3))
  const queueSize = check(() => validateInteger(given.queueSize, 'options.queueSize', 1, 64))
  const concurrency = check(() => validateInteger(given.concurrency, 'options.concurrency', 1, 256))
  const abortTimeout = check(() => validateInteger(given.abortTimeout, 'options.abortTimeout', 0))
  const retryFor = check(() => validateRetryFor(given.retryFor, 'options.retryFor'))
  const ifNoneMatch = check(() => validateBoolean(given.ifNoneMatch, 'options.ifNoneMatch'))
  const template = check(() => resolveKeyTemplate(given.keyTemplate, 'options.keyTemplate', given.timeZone, 'options.timeZone'))
  // The window stage owns these rules (lateness and onLate need timeOf): ask it, one field at a time so each bad one is reported.
  const layout = { timeOf: given.timeOf, allowedLatenessMs: given.allowedLatenessMs, onLate: given.onLate, idleTimeoutMs: given.idleTimeoutMs, maxOpenPartitions: given.maxOpenPartitions }
  for (const field of Object.keys(layout)) {
    if (layout[field as keyof typeof layout] !== undefined) check(() => { minuteWindow(besideTimeOf(layout, field)).destroy() })
  }
  check(() => resolveManifests(given.manifests, 'options.manifests'))
  const ownsClient = given.client === undefined
  // Last: a client holds sockets, and is built only when nothing else is wrong.
  const client = ownsClient ? problems.connect(given, 'options', CONNECTION_FIELDS) : ownClient(problems, given)
  problems.throwIfAny()
  return {
    settings: {
      client: client as S3Client,
      clock: clock ?? systemClock,
      params: { ...params },
      windowMs: windowMs ?? DEFAULTS.windowMs,
      maxBytes: maxBytes ?? DEFAULTS.maxBytes,
      maxRecords,
      chunkSize,
      compression: compression as CompressionSettings,
      encodingHeader: encodingHeader ?? true,
      partSize: partSize ?? DEFAULTS.partSize,
      queueSize: queueSize ?? DEFAULTS.queueSize,
      concurrency: concurrency ?? DEFAULTS.concurrency,
      abortTimeout: abortTimeout ?? DEFAULTS.abortTimeout,
      retryFor: retryFor as number,
      ifNoneMatch: ifNoneMatch ?? false,
      template,
      ...layout,
      manifests: given.manifests
    },
    ownClient: ownsClient,
    bucket,
    prefix: prefix ?? ''
  }
}
