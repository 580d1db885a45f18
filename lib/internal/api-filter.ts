import { CallbackError, InvalidOptionError } from '../errors.js'
import { validateBoolean, validateFunction, validateObject, validateStringArray } from './validate.js'

/**
 * Why a record was dropped.
 *
 * @example
 * ```ts
 * const reasons = new Map<DropReason, number>()
 * const filter = filterApis(cfg)
 * filter.on('drop', ({ reason }: DroppedRecord) => reasons.set(reason, (reasons.get(reason) ?? 0) + 1))
 * ```
 */
export type DropReason = 'api' | 'failed'

/**
 * Options of `filterApis()`, shared with the per-Run sink: `apisToSend` and
 * `skipOnFail` as in the sink config, plus callbacks for records that are not
 * Intuned Runs.
 *
 * @example
 * ```ts
 * const options: FilterApisOptions = { apisToSend: ['search'], skipOnFail: true, apiName: (r) => (r as { api?: string }).api }
 * await pipeline(source, filterApis(options), minuteWindow(), gzip(), s3Writable(cfg))
 * ```
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

/** The API name of a Run result: `apiInfo.name`. */
export function runApiName (record: unknown): unknown {
  return (record as RunLike | null | undefined)?.apiInfo?.name
}

/** Whether a Run result failed: `apiInfo.result.status === 'failed'`. */
export function runIsFailed (record: unknown): boolean {
  return (record as RunLike | null | undefined)?.apiInfo?.result?.status === 'failed'
}

/**
 * Validates filter options and returns the decision for one record: `null`
 * to keep it, or why it is dropped. Synchronous, so a stage can decide and
 * act in the same call. A throwing callback becomes a `CallbackError`.
 */
export function apiFilter (options: FilterApisOptions, name = 'options'): (record: unknown) => DropReason | null {
  validateObject(options, name)
  const apis = validateStringArray(options.apisToSend, `${name}.apisToSend`)
  // An empty list would drop everything; a caller who means "all" omits it.
  if (apis?.length === 0) throw new InvalidOptionError(`${name}.apisToSend`, 'is empty, which would drop every record; omit it to keep every API')
  const allowed = apis === undefined ? null : new Set(apis)
  const skipOnFail = validateBoolean(options.skipOnFail, `${name}.skipOnFail`) ?? false
  const apiName = validateFunction<(r: unknown) => unknown>(options.apiName, `${name}.apiName`) ?? runApiName
  const isFailed = validateFunction<(r: unknown) => unknown>(options.isFailed, `${name}.isFailed`) ?? runIsFailed

  return (record) => {
    if (allowed !== null) {
      let api: unknown
      try {
        api = apiName(record)
      } catch (err) {
        throw new CallbackError(`${name}.apiName`, 'threw', { cause: err })
      }
      if (typeof api !== 'string' || !allowed.has(api)) return 'api'
    }
    if (!skipOnFail) return null
    try {
      return isFailed(record) ? 'failed' : null
    } catch (err) {
      throw new CallbackError(`${name}.isFailed`, 'threw', { cause: err })
    }
  }
}
