import { Transform, type TransformCallback } from 'node:stream'
import { CallbackError, InvalidOptionError } from '../errors.js'
import { validateBoolean, validateFunction, validateObject, validateStringArray } from '../internal/validate.js'

/**
 * Options of {@link filterApis}. Unknown fields are ignored on purpose, so the
 * whole sink config (`{ type, bucket, apisToSend, skipOnFail, ... }`) can be
 * passed as is.
 */
export interface FilterApisOptions {
  /** Keep only records whose API name is in this list (not empty). Default: every API. */
  apisToSend?: readonly string[]
  /** Drop failed Runs. Default `false`: failed Runs are kept. */
  skipOnFail?: boolean
  /** Reads a record's API name. Default: `record.apiInfo.name`. */
  apiName?: (record: unknown) => unknown
  /** Tells whether a record is a failed Run (any truthy result). Default: `record.apiInfo.result.status === 'failed'`. */
  isFailed?: (record: unknown) => unknown
}

interface RunLike { apiInfo?: { name?: unknown, result?: { status?: unknown } } }

function defaultApiName (record: unknown): unknown {
  return (record as RunLike | null | undefined)?.apiInfo?.name
}

function defaultIsFailed (record: unknown): boolean {
  return (record as RunLike | null | undefined)?.apiInfo?.result?.status === 'failed'
}

/**
 * Keeps the records the sink should deliver: those whose API name is in
 * `apisToSend` (all when it is absent), minus failed Runs when `skipOnFail`
 * is true.
 *
 * A record whose API name cannot be read (not a string: no `apiInfo`, a
 * number, `null`, ...) never matches `apisToSend`, so it is dropped when the
 * list is given and kept when it is not. Every dropped record is announced
 * with a `'drop'` event (`{ record, reason: 'api' | 'failed' }`), so nothing
 * disappears unseen.
 *
 * @example
 * ```ts
 * await pipeline(source, filterApis({ apisToSend: ['search'], skipOnFail: true }), minuteWindow(), gzip(), s3Writable(cfg))
 * ```
 */
export function filterApis (options: FilterApisOptions = {}): Transform {
  validateObject(options, 'options')
  const apis = validateStringArray(options.apisToSend, 'options.apisToSend')
  // An empty list would drop everything; a caller who means "all" omits it.
  if (apis?.length === 0) throw new InvalidOptionError('options.apisToSend', 'is empty, which would drop every record; omit it to keep every API')
  const allowed = apis === undefined ? null : new Set(apis)
  const skipOnFail = validateBoolean(options.skipOnFail, 'options.skipOnFail') ?? false
  const apiName = validateFunction<(r: unknown) => unknown>(options.apiName, 'options.apiName') ?? defaultApiName
  const isFailed = validateFunction<(r: unknown) => unknown>(options.isFailed, 'options.isFailed') ?? defaultIsFailed

  return new Transform({
    objectMode: true,
    transform (record: unknown, _encoding: BufferEncoding, cb: TransformCallback) {
      let reason: 'api' | 'failed' | null = null
      try {
        if (allowed !== null) {
          const name = apiName(record)
          if (typeof name !== 'string' || !allowed.has(name)) reason = 'api'
        }
      } catch (err) {
        return cb(new CallbackError('options.apiName', 'threw', { cause: err }))
      }
      try {
        if (reason === null && skipOnFail && Boolean(isFailed(record))) reason = 'failed'
      } catch (err) {
        return cb(new CallbackError('options.isFailed', 'threw', { cause: err }))
      }
      if (reason === null) return cb(null, record)
      this.emit('drop', { record, reason })
      cb()
    }
  })
}
