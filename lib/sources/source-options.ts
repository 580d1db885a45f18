import { MAX_TIMER_MS, systemClock, type Clock } from '../clock.js'
import { InvalidOptionError } from '../errors.js'
import { validateClock, validateFunction, validateInteger, validateOneOf } from '../internal/validate.js'
import { decodeJsonObject, type Decode, type SourceOnInvalid } from './payload.js'

/** Options both log sources take. */
export interface LogSourceOptions {
  /** Payload text to record. Default: `JSON.parse`, and the value must be a JSON object. A throw makes the entry invalid. */
  decode?: Decode
  /**
   * An entry that is not a record: `'error'` (default) fails the stream with
   * `ERR_SOURCE_PAYLOAD` and leaves the entry unacknowledged; `'skip'` emits
   * `'invalid'` `{ id, error }` and acknowledges it at once; `'dead-letter'`
   * pushes an `InvalidPayload` whose serialization throws, for
   * `minuteWindow({ onInvalid: 'dead-letter' })` to store in the dead-letter
   * batch: the entry is acknowledged once that batch is stored.
   */
  onInvalid?: SourceOnInvalid
  /** Without a connection for this long (at start or after a loss), fail with `ERR_SOURCE_CONNECTION`. Default 60000. */
  reconnectTimeoutMs?: number
  /** Aborting it stops reading: what was read is still pushed, then the stream ends. */
  signal?: AbortSignal
  /** Time source of timers and claims. Default {@link systemClock}. */
  clock?: Clock
}

/**
 * What a log source has done so far.
 *
 * @example
 * ```ts
 * const source = redisStreamSource({ url: 'redis://10.0.0.5:6379', stream: 'runs', group: 's3-sink' })
 * const { read, acknowledged, redelivered }: LogSourceStats = source.stats
 * console.log(`${acknowledged}/${read} acknowledged, ${redelivered} redelivered`)
 * ```
 */
export interface LogSourceStats {
  /** Entries received (new and taken over), invalid ones included. */
  read: number
  /** Of those, entries taken over from an idle consumer (XAUTOCLAIM) or redelivered. */
  redelivered: number
  /** Entries acknowledged to the log. */
  acknowledged: number
  /** Entries that were not records (skipped or dead-lettered). */
  invalid: number
}

/** {@link LogSourceOptions} with defaults applied. */
export interface LogSourceSettings {
  decode: Decode
  onInvalid: SourceOnInvalid
  reconnectTimeoutMs: number
  signal: AbortSignal | undefined
  clock: Clock
}

export const LOG_SOURCE_KEYS = ['decode', 'onInvalid', 'reconnectTimeoutMs', 'signal', 'clock'] as const

/** The default `reconnectTimeoutMs`: the longest outage of the log's server a source rides out. */
export const RECONNECT_TIMEOUT_MS = 60_000
const DEFAULTS = Object.freeze({ reconnectTimeoutMs: RECONNECT_TIMEOUT_MS })

export function logSourceSettings (options: LogSourceOptions): LogSourceSettings {
  const signal = options.signal
  if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidOptionError('options.signal', 'must be an AbortSignal')
  return {
    decode: validateFunction<Decode>(options.decode, 'options.decode') ?? decodeJsonObject,
    onInvalid: validateOneOf(options.onInvalid, 'options.onInvalid', ['error', 'skip', 'dead-letter'] as const) ?? 'error',
    reconnectTimeoutMs: validateInteger(options.reconnectTimeoutMs, 'options.reconnectTimeoutMs', 1, MAX_TIMER_MS) ?? DEFAULTS.reconnectTimeoutMs,
    signal,
    clock: validateClock(options.clock, 'options.clock') ?? systemClock
  }
}

/** Waits for `promise`, at most `ms` on `clock`; the timer is cleared either way, so it never holds the process open. */
export async function within (promise: Promise<unknown>, ms: number, clock: Clock): Promise<void> {
  let timer: unknown
  try {
    await Promise.race([promise, new Promise<void>((resolve) => { timer = clock.setTimeout(resolve, ms) })])
  } finally {
    clock.clearTimeout(timer)
  }
}

/** Waits `ms` on `clock`. */
export async function sleep (ms: number, clock: Clock): Promise<void> {
  await new Promise<void>((resolve) => { clock.setTimeout(resolve, ms) })
}
