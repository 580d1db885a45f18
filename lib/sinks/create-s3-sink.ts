import { createHash } from 'node:crypto'
import { Writable, type Transform } from 'node:stream'
import type { S3Client } from '@aws-sdk/client-s3'
import pumpify from 'pumpify'
import { systemClock, type Clock } from '../clock.js'
import { BatchAbortedError, CallbackError, S3UploadError, SerializationError, toError } from '../errors.js'
import { ndjsonLine } from '../internal/ndjson-line.js'
import { defaultKey } from '../internal/object-key.js'
import { UploadJob } from '../internal/upload-job.js'
import { filterApis } from '../stages/filter-apis.js'
import { gzip } from '../stages/gzip.js'
import { keyRotate } from '../stages/key-rotate.js'
import { minuteWindow } from '../stages/minute-window.js'
import { s3Writable } from './s3-writable.js'
import { resolveSinkConfig, type S3SinkConfig, type SinkSettings } from './sink-config.js'

/** What the `'object'` event of the per-Run sink carries. */
export interface RunWritten {
  bucket: string
  key: string
  etag: string | undefined
  /** Size of the object: the Run's JSON text in bytes. */
  bytes: number
  /** Always 1: one object per Run. */
  records: 1
}

const DEFAULTS = Object.freeze({ concurrency: 8, clock: systemClock })
const MIN_PART_SIZE = 5 * 1024 * 1024
/** Longer key segments are shortened, keeping a hash so distinct names stay distinct. */
const MAX_SEGMENT_BYTES = 128

/**
 * The S3 sink of a Run or Job, from its documented config: every Run result
 * that passes `apisToSend` and `skipOnFail` becomes one `.json` object whose
 * content is exactly `JSON.stringify(run)`, at
 * `[prefix]/[api name]/[runId].json` (so a redelivered Run replaces its
 * object), or `[prefix]/[api name]/YYYY/MM/DD/HH/YYYY-MM-DD-HH-MM-SS-<hex>.json`
 * when it has no `apiInfo.runId`.
 *
 * With `batched`, it is instead `filterApis → minuteWindow → gzip → keyRotate
 * → s3Writable` as one writable: one NDJSON gzip object per window.
 *
 * Either way, `'finish'` (and `pipeline()`) waits for every upload, a failed
 * upload fails the stream once with `ERR_S3_UPLOAD`, and a bad config throws a
 * `ConfigError` listing every problem. Emits `'object'` per object and
 * `'drop'` (`{ record, reason }`) per Run filtered out.
 *
 * @example
 * ```ts
 * const sink = createS3Sink({ type: 's3', bucket: 'runs', region: 'us-west-2', accessKeyId, secretAccessKey, prefix: 'prod/', skipOnFail: true })
 * sink.on('object', ({ key }) => console.log('stored', key))
 * await pipeline(runs, sink)
 * ```
 */
export function createS3Sink (config: S3SinkConfig): Writable {
  const settings = resolveSinkConfig(config)
  const filter = filterApis({ apisToSend: settings.apisToSend, skipOnFail: settings.skipOnFail })
  const { sink, last } = settings.batched === null ? { sink: new RunSink(settings, filter), last: null } : batchedSink(settings, filter)
  // Its sockets go with it; 'close' comes once every upload or abort has ended.
  if (settings.ownsClient) (last ?? sink).once('close', () => { settings.client.destroy() })
  return sink
}

/**
 * pumpify, not `stream.compose`: on Node 20, a composed stream whose last
 * stream fails in `final` (an upload failing after the input ended) still
 * emits `'finish'`, so `pipeline()` would resolve over a lost object.
 */
function batchedSink (s: SinkSettings, filter: Transform): { sink: Writable, last: Writable } {
  const { windowMs, maxBytes, maxRecords, level } = s.batched ?? {}
  const upload = s3Writable({ client: s.client, bucket: s.bucket, concurrency: s.concurrency })
  const sink = new pumpify.obj(filter, minuteWindow({ windowMs, maxBytes, maxRecords, clock: s.clock }), gzip({ level }),
    keyRotate({ prefix: s.prefix }), upload)
  // pumpify never closes after a clean finish; core streams do (autoDestroy), so this one does too.
  sink.once('finish', () => { sink.destroy() })
  filter.on('drop', (drop) => sink.emit('drop', drop))
  upload.on('object', (written) => sink.emit('object', written))
  return { sink, last: upload }
}

type Callback = (err?: Error | null) => void

class RunSink extends Writable {
  readonly #client: S3Client
  readonly #bucket: string
  readonly #prefix: string
  readonly #concurrency: number
  readonly #clock: Clock
  readonly #filter: Transform
  readonly #jobs = new Map<UploadJob, number>()
  #index = 0
  #parked: Callback | null = null
  #finalCb: Callback | null = null

  constructor (s: SinkSettings, filter: Transform) {
    // One Run may wait for a slot, so write() says false as soon as every slot is taken.
    super({ objectMode: true, highWaterMark: 2 })
    this.#client = s.client
    this.#bucket = s.bucket
    this.#prefix = s.prefix
    this.#concurrency = s.concurrency ?? DEFAULTS.concurrency
    this.#clock = s.clock ?? DEFAULTS.clock
    this.#filter = filter
    filter.on('drop', (drop) => this.emit('drop', drop))
    filter.on('error', (err) => this.destroy(err))
  }

  override _write (run: unknown, _encoding: BufferEncoding, cb: Callback): void {
    const index = this.#index++
    // filterApis() would swallow it without a 'drop': refuse it here.
    if (run === undefined) return cb(new SerializationError(index, 'JSON has no text for undefined'))
    // filterApis() decides synchronously: what it keeps is readable at once,
    // what it drops it announces with 'drop' (forwarded above).
    this.#filter.write(run)
    const kept: unknown = this.#filter.read()
    if (kept === null) return cb()
    let body: Buffer
    let key: string
    try {
      // The object's content is exactly JSON.stringify(run): the NDJSON line without its newline.
      body = Buffer.from(ndjsonLine(kept, index).slice(0, -1))
      key = runKey(this.#prefix, kept, this.#now())
    } catch (err) {
      return cb(toError(err))
    }
    const job = new UploadJob({
      client: this.#client,
      params: { Bucket: this.#bucket, Key: key, ContentType: 'application/json' },
      body,
      // A Run is already whole in memory: one PutObject, retryable, abortable at once.
      partSize: Math.max(MIN_PART_SIZE, body.length),
      queueSize: 1,
      abortTimeout: 0
    })
    this.#jobs.set(job, body.length)
    void job.settled.then(() => { this.#onSettled(job) })
    if (this.#jobs.size < this.#concurrency) cb()
    else this.#parked = cb
  }

  override _final (cb: Callback): void {
    if (this.#jobs.size === 0) cb()
    else this.#finalCb = cb
  }

  override _destroy (err: Error | null, cb: Callback): void {
    const jobs = [...this.#jobs.keys()]
    this.#jobs.clear()
    this.#parked = null
    this.#finalCb = null
    this.#filter.destroy()
    const reason = err ?? new BatchAbortedError('createS3Sink() was destroyed before the upload completed')
    Promise.all(jobs.map(async (job) => {
      const abortError = await job.abort(reason)
      await job.settled
      return { job, abortError }
    })).then((results) => {
      let reported = err
      for (const { job, abortError } of results) {
        // An upload that failed on its own outranks a bare destroy() or a premature close.
        const own = job.failure !== undefined && job.failure !== reason && !(job.failure instanceof Error && job.failure.name === 'AbortError')
        const weak = reported === null || (reported as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE'
        if (own && weak) reported = new S3UploadError(this.#bucket, job.key, job.failure)
        if (abortError !== undefined && reported instanceof S3UploadError && reported.key === job.key) reported.abortError = abortError
      }
      cb(reported)
    }, cb)
  }

  #now (): number {
    let now: unknown
    try { now = this.#clock.now() } catch (err) { throw new CallbackError('config.clock.now', 'threw', { cause: err }) }
    if (typeof now !== 'number' || !Number.isFinite(now)) throw new CallbackError('config.clock.now', 'must return a finite number')
    return now
  }

  #onSettled (job: UploadJob): void {
    const bytes = this.#jobs.get(job)
    if (bytes === undefined) return // destroyed meanwhile: _destroy reports
    if (!job.ok) return void this.destroy(new S3UploadError(this.#bucket, job.key, job.failure))
    this.#jobs.delete(job)
    const written: RunWritten = { bucket: this.#bucket, key: job.key, etag: job.etag, bytes, records: 1 }
    this.emit('object', written)
    const parked = this.#parked
    if (parked !== null) {
      this.#parked = null
      parked()
    }
    const finalCb = this.#finalCb
    if (finalCb !== null && this.#jobs.size === 0) {
      this.#finalCb = null
      finalCb()
    }
  }
}

interface RunLike { apiInfo?: { name?: unknown, runId?: unknown } }

/**
 * The key of a Run's object: `[prefix][api]/[runId].json` from
 * `apiInfo.name` and `apiInfo.runId`, so a redelivered Run replaces its
 * object; without a runId, `[prefix][api]/YYYY/MM/DD/HH/YYYY-MM-DD-HH-MM-SS-<64 hex>.json`
 * (UTC, at `now`). Both parts are percent-encoded where unsafe (`a/b` →
 * `a%2Fb`, `..` → `%2E%2E`); a missing or empty API name becomes `_unknown`.
 * `prefix` must already be normalized.
 *
 * @example
 * ```ts
 * runKey('prod/', { apiInfo: { name: 'search', runId: 'r-1' } }, Date.now()) // 'prod/search/r-1.json'
 * ```
 */
export function runKey (prefix: string, run: unknown, now: number): string {
  const info = (run as RunLike | null)?.apiInfo
  const api = typeof info?.name === 'string' && info.name !== '' ? keySegment(info.name) : '_unknown'
  const runId = info?.runId
  if (typeof runId === 'string' && runId !== '') return `${prefix}${api}/${keySegment(runId)}.json`
  // Same time layout as batched objects; only the extension differs.
  return defaultKey(`${prefix}${api}/`, { openedAt: now }).replace(/\.ndjson$/, '.json')
}

/**
 * One key segment from arbitrary text: `%`, `/` and control characters are
 * percent-encoded and a `.` or `..` segment becomes `%2E`/`%2E%2E`, so two
 * different names never share an object (long ones keep a hash of the whole).
 */
function keySegment (text: string): string {
  // eslint-disable-next-line no-control-regex
  let out = text.replace(/[%/\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
  if (out === '.' || out === '..') out = out.replaceAll('.', '%2E')
  if (Buffer.byteLength(out) <= MAX_SEGMENT_BYTES) return out
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 32)
  return `${Array.from(out).slice(0, 64).join('')}~${hash}`
}
