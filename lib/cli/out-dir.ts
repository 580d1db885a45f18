import type { Writable } from 'node:stream'
import { isBatch } from '../batch.js'
import { FileWriteError, InvalidBatchError, InvalidOptionError } from '../errors.js'
import { defaultKey, normalizePrefix } from '../internal/object-key.js'
import { validateInteger, validateObject, validateString } from '../internal/validate.js'
import { FileJobs, type FilePlan } from './file-jobs.js'
import { UNUSABLE_KEY, keyPath } from './key-path.js'

/** Options of {@link outDirWritable}. */
export interface OutDirWritableOptions {
  /** Directory the objects are written under; created as needed. */
  dir: string
  /** Key prefix for batches that no `keyRotate()` named. Default: none. */
  prefix?: string
  /** Files written at once; further batches wait (backpressure). Default 2. */
  concurrency?: number
}

/** What the `'object'` event carries for every file written. */
export interface FileWritten {
  key: string
  /** Absolute path of the file. */
  path: string
  /** Bytes written (compressed size for gzip batches). */
  bytes: number
  /** Records in the file. */
  records: number
  /** Start of the batch's window, ms since the epoch. */
  windowStart: number
}

const DEFAULTS = Object.freeze({ concurrency: 2 })

/**
 * The local twin of `s3Writable()`: writes every batch's body to `dir/key`,
 * the same key it would have in S3, so the objects can be inspected or
 * shipped later without any S3. A file appears only once complete (written to
 * a temp file beside it, then renamed). `final` waits for every file; destroy
 * removes the unfinished ones. Emits `'object'` ({@link FileWritten}), and
 * `'abandoned'` per file given up on a destroy (see `FileJobs`).
 *
 * @example
 * ```ts
 * await pipeline(source, minuteWindow(), gzip(), keyRotate({ prefix: 'runs/' }), outDirWritable({ dir: './out' }))
 * // ./out/runs/2026/11/25/14/2026-11-25-14-03-07-9f2c...e41a.gz
 * ```
 */
export function outDirWritable (options: OutDirWritableOptions): Writable {
  validateObject(options, 'options')
  if (options === undefined) throw new InvalidOptionError('options', 'is required (at least a dir)')
  const dir = validateString(options.dir, 'options.dir')
  if (dir === undefined) throw new InvalidOptionError('options.dir', 'is required')
  return new OutDir(
    dir,
    normalizePrefix(options.prefix, 'options.prefix'),
    validateInteger(options.concurrency, 'options.concurrency', 1, 256) ?? DEFAULTS.concurrency)
}

class OutDir extends FileJobs {
  readonly #dir: string
  readonly #prefix: string

  constructor (dir: string, prefix: string, concurrency: number) {
    super(concurrency)
    this.#dir = dir
    this.#prefix = prefix
  }

  protected plan (batch: unknown): FilePlan {
    if (!isBatch(batch)) throw new InvalidBatchError('outDirWritable()')
    const key = batch.key ?? defaultKey(this.#prefix, batch)
    const path = keyPath(this.#dir, key)
    if (path === null) throw new FileWriteError(key, this.#dir, new Error(UNUSABLE_KEY))
    return {
      key,
      path,
      body: batch.body,
      written: (bytes): FileWritten => ({ key, path, bytes, records: batch.stats.records, windowStart: batch.windowStart }),
      records: () => batch.stats.records,
      durable: () => batch.acks?.fire(this) ?? null,
      ...(batch.acks === undefined ? {} : { writing: () => !(batch.acks as { sealed: boolean }).sealed })
    }
  }
}
