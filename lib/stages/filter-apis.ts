import { Transform, type TransformCallback } from 'node:stream'
import { toError } from '../errors.js'
import { apiFilter, type DropReason, type FilterApisOptions } from '../internal/api-filter.js'
import { ackNow } from '../internal/durable-callback.js'
import { validateKnownKeys, validateObject } from '../internal/validate.js'
import { SINK_CONFIG_FIELDS, type S3SinkConfig } from '../sinks/s3-sink-config.js'

export type { FilterApisOptions }

export type { DropReason }

/**
 * What a `'drop'` event carries: the record and why it was left out.
 *
 * @example
 * ```ts
 * filterApis({ apisToSend: ['search'] }).on('drop', ({ record, reason }: DroppedRecord) => console.log(reason, record))
 * ```
 */
export interface DroppedRecord {
  record: unknown
  reason: DropReason
}

/**
 * The stream {@link filterApis} returns: a `Transform` whose `'drop'`
 * listeners get a typed {@link DroppedRecord}.
 *
 * @example
 * ```ts
 * filterApis(cfg).on('drop', ({ record, reason }) => console.warn(reason, record))
 * ```
 */
export interface FilterApisStream extends Transform {
  /** Called with every record left out. */
  on (event: 'drop', listener: (drop: DroppedRecord) => void): this
  /** Any other stream event, typed as Node types it (so `on('data', (chunk: Buffer) => ...)` keeps working). */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  on (event: string | symbol, listener: (...args: any[]) => void): this
  /** Called with the next record left out. */
  once (event: 'drop', listener: (drop: DroppedRecord) => void): this
  /** Any other stream event, once. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  once (event: string | symbol, listener: (...args: any[]) => void): this
}

const OPTION_NAMES = Object.keys({ apisToSend: true, skipOnFail: true, apiName: true, isFailed: true } satisfies Record<keyof FilterApisOptions, true>)
const KNOWN = [...new Set([...OPTION_NAMES, ...SINK_CONFIG_FIELDS])]

/**
 * Keeps the records the sink should deliver: those whose API name is in
 * `apisToSend` (all when it is absent), minus failed Runs when `skipOnFail`
 * is true.
 *
 * The whole sink config may be passed as is: its other fields (`bucket`,
 * `region`, ...) are left to the sink, and a field that is neither a filter
 * option nor a sink config field is refused with the nearest known name.
 *
 * A record whose API name cannot be read (not a string: no `apiInfo`, a
 * number, `null`, ...) never matches `apisToSend`, so it is dropped when the
 * list is given and kept when it is not. Every dropped record is announced
 * with a `'drop'` event (`{ record, reason: 'api' | 'failed' }`), so nothing
 * disappears unseen, and acknowledged at once (its `onDurable` callback runs:
 * it is let go on purpose). A throwing callback, `onDurable` included, fails
 * the stream with `ERR_CALLBACK`.
 *
 * @example
 * ```ts
 * await pipeline(source, filterApis({ apisToSend: ['search'], skipOnFail: true }), minuteWindow(), gzip(), s3Writable(cfg))
 * // or with the sink config itself:
 * await pipeline(source, filterApis(cfg), minuteWindow(), gzip(), s3Writable(cfg))
 * ```
 */
export function filterApis (options: FilterApisOptions | S3SinkConfig = {}): FilterApisStream {
  validateObject(options, 'options')
  validateKnownKeys(options, 'options', KNOWN)
  return new FilterApis(apiFilter(options))
}

/** A Transform whose `_write` is its own: one record in, at most one out, without the closure Transform's `_write` makes per record. */
class FilterApis extends Transform {
  readonly #decide: (record: unknown) => DropReason | null
  /** A write's callback held while the readable side is full, as Transform holds it. */
  #parked: TransformCallback | null = null

  constructor (decide: (record: unknown) => DropReason | null) {
    super({ objectMode: true })
    this.#decide = decide
  }

  override _write (record: unknown, _encoding: BufferEncoding, cb: TransformCallback): void {
    try {
      const reason = this.#decide(record)
      if (reason === null) {
        this.push(record)
        if (this.readableLength >= this.readableHighWaterMark && !this.writableEnded) {
          this.#parked = cb
          return
        }
        return cb()
      }
      const drop: DroppedRecord = { record, reason }
      this.emit('drop', drop)
      ackNow(record, this)
    } catch (err) {
      return cb(toError(err))
    }
    cb()
  }

  override _read (size: number): void {
    const parked = this.#parked
    this.#parked = null
    parked?.()
    super._read(size)
  }
}
