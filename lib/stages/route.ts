import { Transform, finished, pipeline, type Readable, type TransformCallback } from 'node:stream'
import { onDurable, type DurableRecord } from '../durable.js'
import { BatchAbortedError, CallbackError, InvalidOptionError, toError } from '../errors.js'
import { whenWritable } from '../internal/drain.js'
import { validateFunction, validateKnownKeys, validateObject, validateOneOf, validateString } from '../internal/validate.js'
import { compress } from './compress.js'
import { keyRotate } from './key-rotate.js'
import { minuteWindow, type MinuteWindowOptions } from './minute-window.js'

/** One output of {@link route}: which records, and how they are batched, compressed and named. */
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
}

/** Options of {@link route}. */
export interface RouteOptions {
  outputs: RouteOutput[]
  /**
   * A record no output takes: `'error'` (default) fails the stream with
   * `ERR_CALLBACK`; `'drop'` emits `'drop'` `{ record, reason: 'route' }` and
   * acknowledges it (`record[onDurable]`), as a filter would.
   */
  unmatched?: 'error' | 'drop'
}

const OUTPUT_FIELDS = ['name', 'when', 'window', 'compression', 'level', 'prefix']

interface Chain { name: string, when: RouteOutput['when'], head: Transform, tail: Readable, option: string }

/**
 * Sends each record to the first output whose `when` takes it. Every output
 * has its own windows, compression and prefix, and their batches come out of
 * this one stream, so one `s3Writable()` uploads them all: one upload pool
 * (its `concurrency`) and one backpressure for the whole feed. A write is
 * acknowledged only once the output it went to can take more.
 *
 * @example
 * ```ts
 * const failed = (run) => run.apiInfo?.result?.status === 'failed'
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
    const stages = [
      renamed(() => minuteWindow(output.window), `${at}.window`),
      ...(compression === 'none' ? [] : [renamed(() => compress({ compression, ...(output.level === undefined ? {} : { level: output.level }) }), at)]),
      renamed(() => keyRotate(output.prefix === undefined ? {} : { prefix: output.prefix }), at)
    ]
    return { name, when, stages, option: `${at}.when` }
  })
  return new Route(plans, unmatched)
}

/** Reports a stage's option under the output it belongs to (`options.windowMs` → `options.outputs[0].window.windowMs`). */
function renamed<T> (build: () => T, at: string): T {
  try {
    return build()
  } catch (err) {
    if (err instanceof InvalidOptionError) throw new InvalidOptionError(err.option.replace(/^options/, at), err.message.slice(err.option.length + 1))
    throw err
  }
}

class Route extends Transform {
  readonly #chains: Chain[]
  readonly #unmatched: 'error' | 'drop'

  constructor (plans: Array<{ name: string, when: RouteOutput['when'], stages: Transform[], option: string }>, unmatched: 'error' | 'drop') {
    super({ writableObjectMode: true, readableObjectMode: true, readableHighWaterMark: 1 })
    this.#unmatched = unmatched
    this.#chains = plans.map(({ name, when, stages, option }) => {
      const tail = stages[stages.length - 1]!
      pipeline(stages, (err) => { if (err !== undefined && err !== null && !this.destroyed) this.destroy(err) })
      // Batches of every output leave through this stream; a full buffer pauses them all.
      tail.on('data', (batch: unknown) => { if (!this.push(batch)) for (const chain of this.#chains) chain.tail.pause() })
      return { name, when, head: stages[0]!, tail, option }
    })
  }

  override _read (size: number): void {
    for (const chain of this.#chains ?? []) chain.tail.resume()
    // Transform's own _read releases a transform callback parked on a full buffer.
    super._read(size)
  }

  override _transform (record: unknown, _encoding: BufferEncoding, cb: TransformCallback): void {
    let chain: Chain | undefined
    for (const candidate of this.#chains) {
      let taken: unknown
      try {
        taken = candidate.when(record)
      } catch (err) {
        return cb(new CallbackError(candidate.option, 'threw', { cause: err }))
      }
      if (taken === true) {
        chain = candidate
        break
      }
      if (taken !== false) return cb(new CallbackError(candidate.option, 'must return a boolean'))
    }
    if (chain === undefined) return this.#noRoute(record, cb)
    if (chain.head.write(record)) return cb()
    whenWritable(chain.head, () => new BatchAbortedError(`route() output "${chain.name}" closed`), cb)
  }

  override _flush (cb: TransformCallback): void {
    let left = this.#chains.length
    for (const chain of this.#chains) {
      finished(chain.tail, (err) => {
        if (err !== undefined && err !== null) return
        if (--left === 0) cb()
      })
      chain.head.end()
    }
  }

  override _destroy (err: Error | null, cb: (error?: Error | null) => void): void {
    const reason = err ?? new BatchAbortedError('route() was destroyed before its outputs ended')
    for (const chain of this.#chains) if (!chain.head.destroyed) chain.head.destroy(reason)
    cb(err)
  }

  #noRoute (record: unknown, cb: TransformCallback): void {
    if (this.#unmatched === 'error') return cb(new CallbackError('options.outputs', 'took none of the records: no output\'s when() returned true (set unmatched: \'drop\' to drop such records)'))
    this.emit('drop', { record, reason: 'route' })
    const ack = (record as DurableRecord | null)?.[onDurable]
    try {
      if (typeof ack === 'function') ack()
    } catch (err) {
      return cb(new CallbackError('record[onDurable]', 'threw', { cause: toError(err) }))
    }
    cb()
  }
}
