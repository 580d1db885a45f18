import { Writable, type Readable } from 'node:stream'
import { FileWriteError, toError } from '../errors.js'
import { JobPool, type PoolJob } from '../internal/job-pool.js'
import { afterAcks } from '../internal/durable-callback.js'
import { writeFileAtomic } from './atomic-file.js'

/** One file to write for a chunk: where, what, and what to announce once written. */
export interface FilePlan {
  key: string
  path: string
  body: Readable | Buffer | string
  /** The `'object'` event's payload, given the bytes written. */
  written: (bytes: number) => object
  /** Records the file holds (or would have held), for the `'abandoned'` event. */
  records: () => number
  /** Acknowledges the records in the file once it is complete (their `onDurable`); returns what a callback threw. */
  durable?: () => Error | null
  /** Whether the body is still being written (a batch its window keeps open): such a file holds no slot, as in `s3Writable()`. */
  writing?: () => boolean
}

/**
 * What the `'abandoned'` event carries, once per file under way when the
 * stream was destroyed or failed: its temp file is removed, so nothing is
 * left (`outcome` is always `'not-stored'`, as `s3Writable()` reports an
 * object never stored).
 */
export interface FileAbandoned {
  key: string
  /** Where the file would have been. */
  path: string
  records: number
  outcome: 'not-stored'
}

/** One file being written; what the shared job pool needs of it. */
class FileJob implements PoolJob {
  readonly key: string
  readonly path: string
  readonly settled: Promise<void>
  ok = false
  failure: unknown = undefined
  bytes = 0
  readonly #controller = new AbortController()

  constructor (plan: FilePlan) {
    this.key = plan.key
    this.path = plan.path
    this.settled = writeFileAtomic(plan.path, plan.body, { signal: this.#controller.signal }).then(
      (bytes) => { this.ok = true; this.bytes = bytes },
      (err: unknown) => { this.failure = err })
  }

  /** Stops writing; resolves once the temp file is removed, so nothing half-written outlives the stream. */
  async abort (reason: Error): Promise<undefined> {
    this.#controller.abort(reason)
    await this.settled
    return undefined
  }
}

/**
 * An object-mode Writable that writes one file per chunk, up to
 * `concurrency` files at once, like `s3Writable()` does with uploads: a write
 * is acknowledged once its file is under way (further chunks wait while
 * `concurrency` files are open), `final` waits for every file, and destroy
 * aborts the files in flight (their temp files are removed). A file that
 * fails destroys the stream with `ERR_FILE_WRITE`. Emits `'object'` per file,
 * and `'abandoned'` ({@link FileAbandoned}) per file given up on a destroy.
 *
 * @example
 * ```ts
 * class Copies extends FileJobs {
 *   protected plan (chunk: { name: string, text: string }): FilePlan {
 *     return { key: chunk.name, path: `/tmp/${chunk.name}`, body: chunk.text, written: (bytes) => ({ bytes }), records: () => 1 }
 *   }
 * }
 * ```
 */
export abstract class FileJobs extends Writable {
  readonly #pool: JobPool<FileJob, FilePlan>

  constructor (concurrency: number) {
    super({ objectMode: true, highWaterMark: 1 })
    this.#pool = new JobPool<FileJob, FilePlan>({
      concurrency,
      wrap: (job, cause) => new FileWriteError(job.key, job.path, cause),
      onDone: (job, plan) => {
        this.emit('object', plan.written(job.bytes))
        const error = plan.durable?.() ?? null
        if (error !== null) this.destroy(error)
      },
      onFailure: (error) => { this.destroy(error) },
      // Its write was aborted before the rename: nothing at its path.
      onAbandoned: (job, plan) => { this.emit('abandoned', { key: job.key, path: job.path, records: plan.records(), outcome: 'not-stored' } satisfies FileAbandoned) }
    })
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
    this.#pool.add(new FileJob(plan), plan, cb, plan.writing)
  }

  override _final (cb: (err?: Error | null) => void): void {
    this.#pool.whenIdle(afterAcks(this, cb))
  }

  override _destroy (err: Error | null, cb: (err?: Error | null) => void): void {
    void this.#pool.destroy(err).then(cb)
  }
}
