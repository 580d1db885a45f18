import { CallbackError, EventTimeError, InvalidOptionError } from '../errors.js'
import { checkEventTime, Watermark } from './event-time.js'
import { fieldSegment, readPath } from './key-segment.js'
import { validateStringArray } from './validate.js'
import { MAIN, type Slot } from './window-batches.js'

/**
 * `partitionBy` of minuteWindow: dotted field paths, or a function giving the field values of a record.
 *
 * @example
 * ```ts
 * const byApi: PartitionBy = ['apiInfo.name']
 * const byHost: PartitionBy = (record) => ({ host: (record as { host: string }).host })
 * minuteWindow({ partitionBy: byApi })
 * ```
 */
export type PartitionBy = readonly string[] | ((record: unknown) => Readonly<Record<string, unknown>>)

/** A record later than allowed: its event time and the watermark then. */
export interface Late { late: true, time: number, watermark: number }

/**
 * Where a record goes: its field partition (`apiInfo.name=search`, with the
 * sanitized values) and, with `timeOf`, its event time, checked against the
 * watermark.
 */
export class RecordSlots {
  readonly #paths: Array<{ path: string, names: string[] }> | undefined
  readonly #partitionOf: ((record: unknown) => Readonly<Record<string, unknown>>) | undefined
  readonly #timeOf: ((record: unknown) => unknown) | undefined
  readonly watermark: Watermark

  constructor (options: { partitionBy?: PartitionBy, timeOf?: (record: unknown) => unknown, windowMs: number, allowedLatenessMs: number }) {
    this.watermark = new Watermark(options.windowMs, options.allowedLatenessMs)
    this.#timeOf = options.timeOf
    if (typeof options.partitionBy === 'function') this.#partitionOf = options.partitionBy
    else if (options.partitionBy !== undefined) this.#paths = options.partitionBy.map((path) => ({ path, names: path.split('.') }))
  }

  /** Whether records need this (partitions or event time); byte input cannot be placed. */
  get active (): boolean {
    return this.#paths !== undefined || this.#partitionOf !== undefined || this.#timeOf !== undefined
  }

  get timed (): boolean {
    return this.#timeOf !== undefined
  }

  /** Throws `EventTimeError` for an unusable event time and `CallbackError` for a failing `partitionBy`. */
  slotOf (record: unknown, index: number): Slot | Late {
    let time: number | undefined
    if (this.#timeOf !== undefined) {
      let value: unknown
      try {
        value = this.#timeOf(record)
      } catch (err) {
        throw new EventTimeError(index, 'timeOf threw', { cause: err })
      }
      time = checkEventTime(value, index)
      if (this.watermark.isLate(time)) return { late: true, time, watermark: this.watermark.value }
    }
    const fields = this.#fields(record)
    const partition = fields === undefined ? MAIN : Object.entries(fields).map(([path, value]) => `${path}=${value}`).join('/')
    return { partition, ...(fields === undefined ? {} : { fields }), ...(time === undefined ? {} : { time }) }
  }

  #fields (record: unknown): Readonly<Record<string, string>> | undefined {
    if (this.#paths !== undefined) {
      const out: Record<string, string> = {}
      for (const { path, names } of this.#paths) out[path] = fieldSegment(readPath(record, names))
      return out
    }
    if (this.#partitionOf === undefined) return undefined
    let given: unknown
    try {
      given = this.#partitionOf(record)
    } catch (err) {
      throw new CallbackError('options.partitionBy', 'threw', { cause: err })
    }
    if (given === null || typeof given !== 'object' || Array.isArray(given) || Object.keys(given).length === 0) {
      throw new CallbackError('options.partitionBy', 'must return an object of field values with at least one field')
    }
    const out: Record<string, string> = {}
    for (const [name, value] of Object.entries(given)) out[fieldSegment(name)] = fieldSegment(value)
    return out
  }
}

/** Checks `partitionBy`: a non-empty array of dotted paths, or a function. */
export function validatePartitionBy (value: unknown, name: string): PartitionBy | undefined {
  if (value === undefined || typeof value === 'function') return value as PartitionBy | undefined
  const paths = validateStringArray(value, name)
  if (paths === undefined || paths.length === 0) throw new InvalidOptionError(name, 'must be a non-empty array of field paths, or a function')
  paths.forEach((path, i) => {
    if (!/^[A-Za-z_$][\w$-]*(\.[A-Za-z_$][\w$-]*)*$/.test(path) || /(^|\.)(__proto__|constructor|prototype)(\.|$)/.test(path)) {
      throw new InvalidOptionError(`${name}[${i}]`, 'must be a dotted field path such as apiInfo.name')
    }
  })
  return Object.freeze([...new Set(paths)])
}
