import type { Transform } from 'node:stream'
import { CallbackError, InvalidOptionError } from '../errors.js'
import { routedStream } from '../internal/routed-stream.js'
import { resolveKeyTemplate } from '../internal/template-key.js'
import type { KeyTemplate } from '../key-template.js'
import { validateFunction, validateKnownKeys, validateObject, validateOneOf, validateString } from '../internal/validate.js'
import { compress } from './compress.js'
import { keyRotate } from './key-rotate.js'
import { minuteWindow, type MinuteWindowOptions } from './minute-window.js'

/**
 * One output of {@link route}: which records, and how they are batched, compressed and named.
 *
 * @example
 * ```ts
 * const failed = (run: unknown) => (run as { apiInfo?: { result?: { status?: string } } }).apiInfo?.result?.status === 'failed'
 * const errors: RouteOutput = { name: 'errors', when: failed, window: { maxRecords: 1 }, compression: 'none', prefix: 'errors/' }
 * await pipeline(source, route({ outputs: [errors, { name: 'runs', when: () => true, prefix: 'runs/' }] }), s3Writable(cfg))
 * ```
 */
export interface RouteOutput {
  /** Names the output in errors and `'drop'` events. */
  name: string
  /** Takes the records it returns `true` for; outputs are asked in order, the first match wins. */
  when: (record: unknown) => boolean
  /** This output's windows (`{ maxRecords: 1 }` makes one object per record). Default: `minuteWindow()`'s. */
  window?: MinuteWindowOptions
  /** `'gzip'` (default), `'zstd'` or `'none'`, as for `compress()`. */
  compression?: 'gzip' | 'zstd' | 'none'
  /** Compression level, as for `compress()`. */
  level?: number
  /** Key prefix of this output's objects. */
  prefix?: string
  /**
   * This output's key template (see `keyTemplate()`); its record fields
   * partition this output's windows. Default: the dated default key.
   */
  keyTemplate?: string | KeyTemplate
  /** IANA time zone of `keyTemplate`'s date parts. Default `UTC`. */
  timeZone?: string
}

/**
 * Options of {@link route}.
 *
 * @example
 * ```ts
 * const isSearch = (record: unknown) => (record as { apiInfo?: { name?: string } }).apiInfo?.name === 'search'
 * const options: RouteOptions = { outputs: [{ name: 'search', when: isSearch, prefix: 'search/' }], unmatched: 'drop' }
 * await pipeline(source, route(options), s3Writable(cfg))
 * ```
 */
export interface RouteOptions {
  outputs: RouteOutput[]
  /**
   * A record no output takes: `'error'` (default) fails the stream with
   * `ERR_CALLBACK`; `'drop'` emits `'drop'` `{ record, reason: 'route' }` and
   * acknowledges it (`record[onDurable]`), as a filter would.
   */
  unmatched?: 'error' | 'drop'
}

const OUTPUT_FIELDS = ['name', 'when', 'window', 'compression', 'level', 'prefix', 'keyTemplate', 'timeZone']

/**
 * Sends each record to the first output whose `when` takes it. Every output
 * has its own windows, compression and prefix, and their batches come out of
 * this one stream, so one `s3Writable()` uploads them all: one upload pool
 * (its `concurrency`) and one backpressure for the whole feed. A write is
 * acknowledged only once the output it went to can take more.
 *
 * @example
 * ```ts
 * const failed = (run: unknown) => (run as { apiInfo?: { result?: { status?: string } } }).apiInfo?.result?.status === 'failed'
 * await pipeline(source, route({ outputs: [
 *   { name: 'errors', when: failed, window: { maxRecords: 1 }, compression: 'none', prefix: 'errors/' },
 *   { name: 'runs', when: () => true, prefix: 'runs/' }
 * ] }), s3Writable(cfg))
 * ```
 */
export function route (options: RouteOptions): Transform {
  validateObject(options, 'options')
  if (options === undefined) throw new InvalidOptionError('options', 'is required (at least outputs)')
  validateKnownKeys(options as unknown as Record<string, unknown>, 'options', ['outputs', 'unmatched'])
  const unmatched = validateOneOf(options.unmatched, 'options.unmatched', ['error', 'drop'] as const) ?? 'error'
  if (!Array.isArray(options.outputs) || options.outputs.length === 0) throw new InvalidOptionError('options.outputs', 'must be a non-empty array')
  const names = new Set<string>()
  // Every stage is built (and so validated) before any is wired: a bad output throws with nothing to clean up.
  const plans = options.outputs.map((output, i) => {
    const at = `options.outputs[${i}]`
    validateObject(output, at)
    if (output === undefined) throw new InvalidOptionError(at, 'must be an object')
    validateKnownKeys(output as unknown as Record<string, unknown>, at, OUTPUT_FIELDS)
    const name = validateString(output.name, `${at}.name`)
    if (name === undefined) throw new InvalidOptionError(`${at}.name`, 'is required')
    if (names.has(name)) throw new InvalidOptionError(`${at}.name`, `repeats "${name}"`)
    names.add(name)
    const when = validateFunction<RouteOutput['when']>(output.when, `${at}.when`)
    if (when === undefined) throw new InvalidOptionError(`${at}.when`, 'is required')
    const compression = validateOneOf(output.compression, `${at}.compression`, ['gzip', 'zstd', 'none'] as const) ?? 'gzip'
    if (output.level !== undefined && compression === 'none') throw new InvalidOptionError(`${at}.level`, 'needs compression "gzip" or "zstd"')
    const template = resolveKeyTemplate(output.keyTemplate, `${at}.keyTemplate`, output.timeZone, `${at}.timeZone`)
    const fields = template?.fields ?? []
    if (fields.length > 0 && output.window?.partitionBy !== undefined) throw new InvalidOptionError(`${at}.window.partitionBy`, `cannot be combined with ${at}.keyTemplate, whose record fields partition the windows`)
    const stages: Transform[] = [
      // The template's record fields are the partitions: each object holds one value of them.
      renamed(() => minuteWindow(fields.length === 0 ? output.window : { ...output.window, partitionBy: fields }), `${at}.window`),
      ...(compression === 'none' ? [] : [renamed(() => compress({ compression, ...(output.level === undefined ? {} : { level: output.level }) }), at)]),
      renamed(() => keyRotate({ ...(output.prefix === undefined ? {} : { prefix: output.prefix }), ...(template === undefined ? {} : { keyTemplate: template }) }), at)
    ]
    return { name, when, stages, option: `${at}.when` }
  })
  return routedStream(plans, {
    policy: unmatched,
    error: (_record, index) => new CallbackError('options.outputs', `took none of record ${index}: no output's when() returned true (end with an output whose when() takes every record, or set unmatched: 'drop' to drop such records)`)
  })
}

/** Reports a stage's option under the output it belongs to (`options.windowMs` → `options.outputs[0].window.windowMs`). */
function renamed<T> (build: () => T, at: string): T {
  try {
    return build()
  } catch (err) {
    if (err instanceof InvalidOptionError) {
      const [first, ...more] = err.issues.map((issue) => ({ option: issue.option.replace(/^options/, at), message: issue.message }))
      throw new InvalidOptionError(first?.option ?? err.option, first?.message ?? err.message, more)
    }
    throw err
  }
}
