import { hostname } from 'node:os'
import { MAX_TIMER_MS } from '../clock.js'
import { InvalidOptionError } from '../errors.js'
import { validateInteger, validateKnownKeys, validateObject, validateString } from '../internal/validate.js'
import { LOG_SOURCE_KEYS, logSourceSettings, type LogSourceOptions, type LogSourceSettings } from './source-options.js'

/**
 * An ioredis client, as far as this package's types go: declared here so
 * that the types need no ioredis (an optional peer dependency).
 *
 * @example
 * ```ts
 * import { Redis } from 'ioredis'
 * // ioredis; never closed by the source. Its own options hold for its commands (XACK, claims):
 * // socketTimeout lets it notice a connection gone silent, as the source's own connections do.
 * const client: RedisClientLike = new Redis('redis://10.0.0.5:6379', { socketTimeout: 10_000 })
 * const source = redisStreamSource({ client, stream: 'runs', group: 's3-sink' })
 * ```
 */
export interface RedisClientLike {
  /** Sends a command (`client.call('XACK', ...)`). */
  call: (...args: never[]) => unknown
  /** A new connection with the same settings, for blocking reads. */
  duplicate: (...args: never[]) => unknown
}

/**
 * Options of {@link redisStreamSource}.
 *
 * @example
 * ```ts
 * const stop = new AbortController()
 * const options: RedisStreamSourceOptions = { url: 'redis://10.0.0.5:6379', stream: 'runs', group: 's3-sink', signal: stop.signal }
 * await pipeline(redisStreamSource(options), createS3Sink(config))
 * ```
 */
export interface RedisStreamSourceOptions extends LogSourceOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://`). Give this or `client`. The password never appears in an error. */
  url?: string
  /**
   * An ioredis client of yours: used for commands, duplicated for blocking
   * reads (the duplicate gets the source's `socketTimeout` of `blockMs` +
   * 10 s), never closed by the source. Its own commands keep its own
   * options: without a `socketTimeout` of its own, an acknowledgement sent
   * on a connection gone silent waits for the operating system's keep-alive.
   */
  client?: RedisClientLike
  /** The stream's key. */
  stream: string
  /** The consumer group; created (with MKSTREAM) when missing. */
  group: string
  /** Where a group created here starts: `'0'` (default, every entry in the stream), `'$'` (only new ones) or an entry id. */
  startId?: string
  /** This worker's name in the group. Default `hostname-pid`. Two live workers must not share one. */
  consumer?: string
  /** The entry field holding the record's JSON. Default `'record'`; `null`: the entry's fields are the record's top-level fields (string values). */
  field?: string | null
  /** Entries asked for per XREADGROUP / XAUTOCLAIM, and the stream's buffer (highWaterMark). Default 100. */
  count?: number
  /**
   * How long one XREADGROUP waits for new entries, in ms; also bounds how
   * late a stop is seen. A read left unanswered for `blockMs` + 10 s (a cut
   * network or a stopped server: no FIN, no RST) closes its connection, which
   * is then made again as after any loss, so `reconnectTimeoutMs` counts from
   * there; the source's other commands get 10 s. Default 1000.
   */
  blockMs?: number
  /**
   * Entries pending in the group for longer than this (their consumer died
   * or hangs) are taken over with XAUTOCLAIM, so it is also how long a dead
   * worker's records wait. A live source renews the entries it holds every
   * `claimIdleMs / 3`, so this need not cover a window or an upload, only
   * the longest time a live worker cannot renew: an outage it rides out
   * (up to `reconnectTimeoutMs`, plus the 10 s it takes to notice a
   * connection gone silent) starting just before a renewal was due, plus
   * its event loop's longest pause. Keep it above
   * `1.5 × reconnectTimeoutMs` + 10 s plus that pause, or a worker cut off
   * that long has its records taken over while it is still storing them
   * (stored twice, never lost). Default 120000 (2 minutes: 60 s of outage,
   * 10 s to notice a silent one and a 40 s renewal period leave 10 s for
   * pauses; 20 s when the connection closes outright).
   */
  claimIdleMs?: number
}

/** {@link RedisStreamSourceOptions} with defaults applied. */
export interface RedisStreamSettings extends LogSourceSettings {
  url: (() => string) | undefined
  client: RedisClientLike | undefined
  stream: string
  group: string
  startId: string
  consumer: string
  field: string | null
  count: number
  blockMs: number
  claimIdleMs: number
}

/**
 * The default `claimIdleMs`. A renewal due during an outage is sent when the
 * connection is back, so a live worker's entries go unrenewed for at most the
 * outage plus one renewal period (`claimIdleMs / 3`): with the default
 * 60 s `reconnectTimeoutMs` that is 100 s, 20 s under this; 110 s when the
 * outage starts silently (10 s before the renewal's connection counts as lost).
 */
export const CLAIM_IDLE_MS = 120_000
const DEFAULTS = Object.freeze({ startId: '0', field: 'record', count: 100, blockMs: 1000, claimIdleMs: CLAIM_IDLE_MS })
const OWN_KEYS = ['url', 'client', 'stream', 'group', 'startId', 'consumer', 'field', 'count', 'blockMs', 'claimIdleMs'] as const

export function redisStreamSettings (options: RedisStreamSourceOptions): RedisStreamSettings {
  validateObject(options, 'options')
  if (options === undefined) throw new InvalidOptionError('options', 'is required (at least url or client, stream and group)')
  validateKnownKeys(options, 'options', [...OWN_KEYS, ...LOG_SOURCE_KEYS])
  const url = validateString(options.url, 'options.url')
  if (url !== undefined && !/^rediss?:\/\/[^/]/.test(url)) throw new InvalidOptionError('options.url', 'must start with redis:// or rediss:// and name a host')
  const client = options.client
  if (client !== undefined && (typeof client !== 'object' || client === null || typeof client.duplicate !== 'function' || typeof client.call !== 'function')) {
    throw new InvalidOptionError('options.client', 'must be an ioredis client')
  }
  if ((url === undefined) === (client === undefined)) throw new InvalidOptionError('options.url', 'or options.client is required (exactly one of them)')
  const stream = required(validateString(options.stream, 'options.stream'), 'options.stream')
  const group = required(validateString(options.group, 'options.group'), 'options.group')
  const startId = validateString(options.startId, 'options.startId') ?? DEFAULTS.startId
  if (!/^(\$|\d+(-\d+)?)$/.test(startId)) throw new InvalidOptionError('options.startId', 'must be "0", "$" or an entry id such as 1700000000000-0')
  const field = options.field === null ? null : validateString(options.field, 'options.field') ?? DEFAULTS.field
  return {
    ...logSourceSettings(options),
    // A function, so that util.inspect of the settings never shows the password.
    url: url === undefined ? undefined : () => url,
    client,
    stream,
    group,
    startId,
    consumer: validateString(options.consumer, 'options.consumer') ?? `${hostname()}-${process.pid}`,
    field,
    count: validateInteger(options.count, 'options.count', 1, 10_000) ?? DEFAULTS.count,
    blockMs: validateInteger(options.blockMs, 'options.blockMs', 1, MAX_TIMER_MS) ?? DEFAULTS.blockMs,
    claimIdleMs: validateInteger(options.claimIdleMs, 'options.claimIdleMs', 1, MAX_TIMER_MS) ?? DEFAULTS.claimIdleMs
  }
}

function required (value: string | undefined, name: string): string {
  if (value === undefined) throw new InvalidOptionError(name, 'is required')
  return value
}
