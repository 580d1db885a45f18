import { MAX_TIMER_MS, systemClock, type Clock } from '../clock.js'
import { InvalidOptionError } from '../errors.js'
import type { Stringify } from '../internal/ndjson-line.js'
import { validatePartitionBy, type PartitionBy } from '../internal/record-slots.js'
import { validateBoolean, validateClock, validateFunction, validateInteger, validateKnownKeys, validateObject, validateOneOf } from '../internal/validate.js'

/**
 * Options of `minuteWindow()`.
 *
 * @example
 * ```ts
 * const options: MinuteWindowOptions = { windowMs: 10_000, maxRecords: 50_000, onInvalid: 'dead-letter' }
 * await pipeline(source, minuteWindow(options), gzip(), s3Writable(cfg))
 * ```
 */
export interface MinuteWindowOptions {
  /** Window length in ms; windows start at multiples of it (UTC). Default 60000. */
  windowMs?: number
  /** Close a batch before its uncompressed NDJSON exceeds this many bytes. Default 1 GiB. */
  maxBytes?: number
  /** Close a batch once it holds this many records. Default: no limit. */
  maxRecords?: number
  /** Records are coalesced into body chunks of about this many bytes. Default 64 KiB. */
  chunkSize?: number
  /** Serializer for record input; must return one line of text. Default `JSON.stringify`. */
  stringify?: Stringify
  /** Time source and timers; tests inject a fake one. Default {@link systemClock}. */
  clock?: Clock
  /**
   * What to do with a record no object can take (it cannot be serialized, or
   * it is larger than `maxBytes`): `'error'` fails the stream with the
   * record's index (default); `'skip'` drops it; `'dead-letter'` writes a
   * line about it (`{ index, error: { code, message }, bytes?, head?, record? }`)
   * into a separate batch of the same window whose `partition` is
   * `'dead-letter'`, so default keys put it under `[prefix]dead-letter/`.
   * Either way it is counted in `skipped` and announced with `'invalid'`
   * `{ index, error, record }`.
   */
  onInvalid?: 'error' | 'skip' | 'dead-letter'
  /**
   * Parse every line of byte input as JSON and treat a line that is not as
   * invalid (`ERR_LINE_PARSE`, then `onInvalid`). Off by default: the bytes
   * of `serialize()` are valid by construction, and parsing costs about as
   * much as serializing.
   */
  validateLines?: boolean
  /**
   * Close a batch when its window's time is up (a timer), and start a new
   * one when a record arrives in a later window. Default `true`. With
   * `false`, batches are cut only by `maxRecords`, `maxBytes` and the end of
   * the input, so a replay of the same records cuts them at the same records:
   * what `keyRotate({ stableKeys: true })` needs to repeat its keys. A quiet
   * feed's last batch then waits for more records or the end of the input.
   */
  closeOnTime?: boolean
  /**
   * Keep one open batch per value of these record fields (dotted paths, e.g.
   * `['apiInfo.name']`, what `keyTemplate(...).fields` lists), or of the
   * fields a function returns. Values are sanitized for keys (a missing one
   * is `_missing`); the batch carries them as `fields` and its `partition`
   * is `path=value[/path=value]`. Record input only.
   */
  partitionBy?: PartitionBy
  /** Most batches of field partitions (or event-time windows) open at once; the least recently written is closed first. Default 16. */
  maxOpenPartitions?: number
  /**
   * Window by event time: the record's time in ms since the epoch. Windows
   * close when the watermark (the largest event time seen minus
   * `allowedLatenessMs`) passes their end, or after `idleTimeoutMs` without
   * a record. A record whose time is unusable (not a number, before 1970,
   * after 9999, or `timeOf` threw) is invalid (`ERR_EVENT_TIME`, then
   * `onInvalid`). Record input only.
   */
  timeOf?: (record: unknown) => number
  /** How far behind the largest event time seen a record may be and still join its window. Default 0. */
  allowedLatenessMs?: number
  /**
   * A record later than allowed: `'partition'` (default) writes it into a
   * batch of its own, `partition: 'late'` (keys under `[prefix]late/`),
   * windowed by arrival time; `'drop'` drops it (and acknowledges it);
   * `'error'` fails with `ERR_LATE_RECORD`. Always counted in `late` and
   * announced with `'late'` `{ index, time, watermark, record }`.
   */
  onLate?: 'partition' | 'drop' | 'error'
  /**
   * With `timeOf`: an event-time batch no record was written into for this
   * long (processing time, by `clock`) is closed even though the watermark
   * has not passed its end, so a feed that goes quiet still delivers. Which
   * records make it before the timeout depends on timing: the only
   * non-deterministic close. Off with `closeOnTime: false`. Default
   * `windowMs + allowedLatenessMs`.
   */
  idleTimeoutMs?: number
}

// `satisfies` makes tsc refuse a new option that is not listed here.
const OPTION_NAMES = Object.keys({
  windowMs: true, maxBytes: true, maxRecords: true, chunkSize: true, stringify: true, clock: true, onInvalid: true, validateLines: true,
  closeOnTime: true, partitionBy: true, maxOpenPartitions: true, timeOf: true, allowedLatenessMs: true, onLate: true, idleTimeoutMs: true
} satisfies Record<keyof MinuteWindowOptions, true>)

const DEFAULTS = Object.freeze({
  windowMs: 60_000,
  maxBytes: 1024 * 1024 * 1024,
  maxRecords: Infinity,
  chunkSize: 64 * 1024,
  maxOpenPartitions: 16
})

/** {@link MinuteWindowOptions} once checked and defaulted. */
export interface WindowSettings {
  partitionBy: PartitionBy | undefined
  maxOpenPartitions: number
  timeOf: ((record: unknown) => number) | undefined
  allowedLatenessMs: number
  onLate: 'partition' | 'drop' | 'error'
  idleTimeoutMs: number
  windowMs: number
  maxBytes: number
  maxRecords: number
  chunkSize: number
  stringify: Stringify | undefined
  clock: Clock
  onInvalid: 'error' | 'skip' | 'dead-letter'
  validateLines: boolean
  closeOnTime: boolean
}

/**
 * Checks `minuteWindow()`'s options synchronously and fills in the
 * defaults; an unknown or unusable option throws `InvalidOptionError`
 * naming it.
 *
 * @example
 * ```ts
 * const settings = resolveWindowOptions({ windowMs: 10_000 }) // settings.maxBytes === 1 GiB
 * ```
 */
export function resolveWindowOptions (options: MinuteWindowOptions = {}): WindowSettings {
  validateObject(options, 'options')
  validateKnownKeys(options, 'options', OPTION_NAMES)
  const windowMs = validateInteger(options.windowMs, 'options.windowMs', 1, MAX_TIMER_MS) ?? DEFAULTS.windowMs
  const timeOf = validateFunction<(record: unknown) => number>(options.timeOf, 'options.timeOf')
  for (const name of ['allowedLatenessMs', 'onLate', 'idleTimeoutMs'] as const) {
    if (timeOf === undefined && options[name] !== undefined) throw new InvalidOptionError(`options.${name}`, 'needs options.timeOf (windows by event time)')
  }
  const allowedLatenessMs = validateInteger(options.allowedLatenessMs, 'options.allowedLatenessMs', 0, MAX_TIMER_MS) ?? 0
  return {
    windowMs,
    partitionBy: validatePartitionBy(options.partitionBy, 'options.partitionBy'),
    maxOpenPartitions: validateInteger(options.maxOpenPartitions, 'options.maxOpenPartitions', 1, 100_000) ?? DEFAULTS.maxOpenPartitions,
    timeOf,
    allowedLatenessMs,
    onLate: validateOneOf(options.onLate, 'options.onLate', ['partition', 'drop', 'error'] as const) ?? 'partition',
    idleTimeoutMs: validateInteger(options.idleTimeoutMs, 'options.idleTimeoutMs', 1, MAX_TIMER_MS) ?? Math.min(MAX_TIMER_MS, windowMs + allowedLatenessMs),
    maxBytes: validateInteger(options.maxBytes, 'options.maxBytes', 1) ?? DEFAULTS.maxBytes,
    maxRecords: validateInteger(options.maxRecords, 'options.maxRecords', 1) ?? DEFAULTS.maxRecords,
    chunkSize: validateInteger(options.chunkSize, 'options.chunkSize', 1) ?? DEFAULTS.chunkSize,
    stringify: validateFunction<Stringify>(options.stringify, 'options.stringify'),
    clock: validateClock(options.clock, 'options.clock') ?? systemClock,
    onInvalid: validateOneOf(options.onInvalid, 'options.onInvalid', ['error', 'skip', 'dead-letter'] as const) ?? 'error',
    validateLines: validateBoolean(options.validateLines, 'options.validateLines') ?? false,
    closeOnTime: validateBoolean(options.closeOnTime, 'options.closeOnTime') ?? true
  }
}
