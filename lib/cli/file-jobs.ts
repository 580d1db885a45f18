import { Writable, type Readable } from 'node:stream'
import { BatchAbortedError, toError } from '../errors.js'
import { writeFileAtomic } from './atomic-file.js'
import { FileWriteError } from './file-write-error.js'

/** One file to write for a chunk: where, what, and what to announce once written. */
export interface FilePlan {
  key: string
  path: string
  body: Readable | Buffer | string
  /** The `'object'` event's payload, given the bytes written. */
  written: (bytes: number) => object
}

interface Job {
  readonly controller: AbortController
  readonly settled: Promise<void>
  /** Set when this stream aborted the job: its failure is then a consequence, not a cause. */
  aborted: boolean
  failure?: FileWriteError
}

/**
 * An object-mode Writable that writes one file per chunk, up to
 * `concurrency` files at once, like `s3Writable()` does with uploads: a write
 * is acknowledged once its file is under way (further chunks wait while
 * `concurrency` files are open), `final` waits for every file, and destroy
 * aborts the files in flight (their temp files are removed). A file that
 * fails destroys the stream with `ERR_FILE_WRITE`. Emits `'object'` per file.
 *
 * @example
 * ```ts
 * class Copies extends FileJobs {
 *   protected plan (chunk: { name: string, text: string }): FilePlan {
 *     return { key: chunk.name, path: `/tmp/${chunk.name}`, body: chunk.text, written: (bytes) => ({ bytes }) }
 *   }
 * }
 * ```
 */
export abstract class FileJobs extends Writable {
  readonly #concurrency: number
  readonly #jobs = new Set<Job>()
  #parked: ((err?: Error | null) => void) | null = null
  #finalCb: ((err?: Error | null) => void) | null = null

  constructor (concurrency: number) {
    super({ objectMode: true, highWaterMark: 1 })
    this.#concurrency = concurrency
  }

  /** Plans the file for a chunk; throws to fail the stream. */
  protected abstract plan (chunk: unknown): FilePlan

  override _write (chunk: unknown, _encoding: BufferEncoding, cb: (err?: Error | null) => void): void {
    let plan: FilePlan
    try {
      plan = this.plan(chunk)
    } catch (err) {
      return cb(toError(err))
    }
    const controller = new AbortController()
    const job: Job = {
      controller,
      aborted: false,
      settled: writeFileAtomic(plan.path, plan.body, { signal: controller.signal }).then(
        (bytes) => { this.#onWritten(job, plan.written(bytes)) },
        (err: unknown) => { this.#onFailed(job, new FileWriteError(plan.key, plan.path, err)) })
    }
    this.#jobs.add(job)
    if (this.#jobs.size < this.#concurrency) cb()
    else this.#parked = cb
  }

  override _final (cb: (err?: Error | null) => void): void {
    if (this.#jobs.size === 0) cb()
    else this.#finalCb = cb
  }

  override _destroy (err: Error | null, cb: (err?: Error | null) => void): void {
    const jobs = [...this.#jobs]
    this.#jobs.clear()
    this.#parked = null
    this.#finalCb = null
    const reason = err ?? new BatchAbortedError('the output directory writer was destroyed before its files were complete')
    for (const job of jobs) {
      job.aborted = true
      job.controller.abort(reason)
    }
    // Wait for the temp files to be removed, so nothing half-written outlives the stream.
    void Promise.all(jobs.map(async (job) => await job.settled)).then(() => {
      // A file that failed on its own is the real cause; it outranks a bare destroy() or premature close.
      const own = jobs.find((job) => job.failure !== undefined)?.failure
      cb(own !== undefined && (err === null || isPrematureClose(err)) ? own : err)
    })
  }

  #onWritten (job: Job, event: object): void {
    if (!this.#jobs.delete(job)) return // destroyed meanwhile
    this.emit('object', event)
    const parked = this.#parked
    if (parked !== null && this.#jobs.size < this.#concurrency) {
      this.#parked = null
      parked()
    }
    const finalCb = this.#finalCb
    if (finalCb !== null && this.#jobs.size === 0) {
      this.#finalCb = null
      finalCb()
    }
  }

  #onFailed (job: Job, err: FileWriteError): void {
    if (!job.aborted) job.failure = err
    if (this.#jobs.has(job)) this.destroy(err)
  }
}

function isPrematureClose (err: Error): boolean {
  return (err as { code?: string }).code === 'ERR_STREAM_PREMATURE_CLOSE' || err instanceof BatchAbortedError
}
