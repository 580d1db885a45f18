import type { Writable } from 'node:stream'
import { CallbackError, FileWriteError, InvalidOptionError, S3SinkError } from '../errors.js'
import { validateFunction, validateInteger, validateObject, validateString } from '../internal/validate.js'
import { FileJobs, type FilePlan } from './file-jobs.js'
import { callDurable, durableOf } from '../internal/durable-callback.js'
import { UNUSABLE_KEY, keyPath } from './key-path.js'

/** Options of {@link outDirRecords}. */
export interface OutDirRecordsOptions<R> {
  /** Directory the objects are written under; created as needed. */
  dir: string
  /** The object key of a record, e.g. `runs/search/run-1.json`. */
  key: (record: R) => string
  /** The object's content. Default: `JSON.stringify(record)`. */
  body?: (record: R) => string | Buffer
  /** Files written at once; further records wait (backpressure). Default 8. */
  concurrency?: number
}

/** What the `'object'` event carries for every file written. */
export interface RecordFileWritten {
  key: string
  /** Absolute path of the file. */
  path: string
  bytes: number
  /** Always 1: one record per file. */
  records: 1
}

const DEFAULTS = Object.freeze({ concurrency: 8 })

/**
 * The local twin of the per-Run S3 sink: writes each record it receives as
 * its own file, `dir/key`, where `key` is the key the record would have in
 * S3. Each file appears only once complete (temp file, then rename). A key
 * that cannot be a file under `dir` (a `..` segment, say) fails the stream
 * rather than escaping `dir`. Emits `'object'` ({@link RecordFileWritten}).
 *
 * @example
 * ```ts
 * await pipeline(records, outDirRecords({ dir: './out', key: (run) => `runs/${run.apiInfo.name}/${run.apiInfo.runId}.json` }))
 * ```
 */
export function outDirRecords<R = unknown> (options: OutDirRecordsOptions<R>): Writable {
  validateObject(options, 'options')
  if (options === undefined) throw new InvalidOptionError('options', 'is required (at least dir and key)')
  const dir = validateString(options.dir, 'options.dir')
  if (dir === undefined) throw new InvalidOptionError('options.dir', 'is required')
  const key = validateFunction<(record: R) => string>(options.key, 'options.key')
  if (key === undefined) throw new InvalidOptionError('options.key', 'is required')
  const body = validateFunction<(record: R) => string | Buffer>(options.body, 'options.body') ?? ((record: R) => JSON.stringify(record))
  const concurrency = validateInteger(options.concurrency, 'options.concurrency', 1, 256) ?? DEFAULTS.concurrency
  return new OutDirRecords(dir, key, body, concurrency)
}

class OutDirRecords<R> extends FileJobs {
  readonly #dir: string
  readonly #key: (record: R) => string
  readonly #body: (record: R) => string | Buffer

  constructor (dir: string, key: (record: R) => string, body: (record: R) => string | Buffer, concurrency: number) {
    super(concurrency)
    this.#dir = dir
    this.#key = key
    this.#body = body
  }

  protected plan (record: unknown): FilePlan {
    const key = call('options.key', () => this.#key(record as R))
    if (typeof key !== 'string') throw new CallbackError('options.key', 'must return a string')
    const body = call('options.body', () => this.#body(record as R))
    if (typeof body !== 'string' && !Buffer.isBuffer(body)) throw new CallbackError('options.body', 'must return a string or a Buffer')
    const path = keyPath(this.#dir, key)
    if (path === null) throw new FileWriteError(key, this.#dir, new Error(UNUSABLE_KEY))
    const callback = durableOf(record)
    return {
      key,
      path,
      body,
      written: (bytes): RecordFileWritten => ({ key, path, bytes, records: 1 }),
      records: () => 1,
      ...(callback === undefined ? {} : { durable: () => callDurable(callback, this) })
    }
  }
}

function call<T> (option: string, fn: () => T): T {
  try {
    return fn()
  } catch (err) {
    // Errors of our own kind (a record without a usable key) already say what is wrong.
    if (err instanceof S3SinkError) throw err
    throw new CallbackError(option, 'threw', { cause: err })
  }
}
