import { hostname } from 'node:os'
import { MAX_TIMER_MS } from '../clock.js'
import { InvalidOptionError } from '../errors.js'
import { validateInteger, validateKnownKeys, validateObject, validateOneOf, validateString } from '../internal/validate.js'
import { LOG_SOURCE_KEYS, logSourceSettings, type LogSourceOptions, type LogSourceSettings } from './source-options.js'

/**
 * A NATS connection, as far as this package's types go: declared here so
 * that the types need no NATS client (an optional peer dependency).
 *
 * @example
 * ```ts
 * import { connect } from '@nats-io/transport-node'
 * // The NATS client's connect(); never closed by the source. A 5 s pingInterval notices a
 * // connection gone silent in 10 to 15 s, as the source's own connection does (default: 4 to 6 min).
 * const connection: NatsConnectionLike = await connect({ servers: 'nats://10.0.0.5:4222', pingInterval: 5_000 })
 * const source = natsJetStreamSource({ connection, stream: 'RUNS', durable: 's3-sink' })
 * ```
 */
export interface NatsConnectionLike {
  /** Publishes a message. */
  publish: (...args: never[]) => unknown
  /** The connection's status events. */
  status: (...args: never[]) => unknown
}

/** Tells a connection the caller made (duck-typed: the caller may load its own copy of the client). */
export function isNatsConnection (value: unknown): value is NatsConnectionLike {
  return typeof value === 'object' && value !== null && typeof (value as NatsConnectionLike).publish === 'function' && typeof (value as NatsConnectionLike).status === 'function'
}

/**
 * Options of {@link natsJetStreamSource}.
 *
 * @example
 * ```ts
 * const stop = new AbortController()
 * const options: NatsJetStreamSourceOptions = { url: 'nats://10.0.0.5:4222', stream: 'RUNS', durable: 's3-sink', signal: stop.signal }
 * await pipeline(natsJetStreamSource(options), createS3Sink(config))
 * ```
 */
export interface NatsJetStreamSourceOptions extends LogSourceOptions {
  /** `nats://[user:password@|token@]host:port`. Give this or `connection`. Credentials never appear in an error. */
  url?: string
  /**
   * A connection of yours; the source never closes it. Its own options hold:
   * with the client's default `pingInterval` (2 minutes) a connection gone
   * silent is noticed after 4 to 6 minutes, with 5000 (the source's own) after 10 to 15 s.
   */
  connection?: NatsConnectionLike
  /** The JetStream stream. */
  stream: string
  /** The durable pull consumer every worker shares; created with explicit acks when missing. */
  durable: string
  /** Where a consumer created here starts: `'all'` (default) or `'new'`. */
  deliverPolicy?: 'all' | 'new'
  /** Messages asked for per pull, and the stream's buffer (highWaterMark). Default 100. */
  batch?: number
  /** How long one pull waits for messages, in ms (at least 1000); also bounds how late a stop is seen. Default 1000. */
  expiresMs?: number
  /**
   * A message not acknowledged within this time is redelivered (to any
   * worker). While the source runs it sends an in-progress ack (`+WPI`)
   * for each record still on its way every third of it, so only a dead
   * worker's records are redelivered. An in-progress ack due during an
   * outage reaches the server only when the connection is back, so with the
   * default an outage of more than about 20 s (of the 60 s
   * `reconnectTimeoutMs` rides out) has the worker's records redelivered to
   * the others while it still stores them: duplicates, never loss. Above
   * `1.5 × reconnectTimeoutMs` (e.g. 120000) no outage it rides out does,
   * but a dead worker's records then wait that long. Set on a consumer
   * created here and updated on an existing one when given. Default 30000.
   */
  ackWaitMs?: number
  /**
   * The most messages the consumer (all workers together) has delivered and
   * not acknowledged; further pulls wait. Must exceed the records read per
   * `windowMs` plus upload time across all workers, or the feed slows to it.
   * Set on a consumer created here, updated when given. Default 20000.
   */
  maxAckPending?: number
  /** This worker's name on the connection. Default `hostname-pid`. */
  name?: string
}

/** {@link NatsJetStreamSourceOptions} with defaults applied. */
export interface NatsJetStreamSettings extends LogSourceSettings {
  url: (() => string) | undefined
  connection: NatsConnectionLike | undefined
  stream: string
  durable: string
  deliverPolicy: 'all' | 'new'
  batch: number
  expiresMs: number
  ackWaitMs: number
  maxAckPending: number
  /** The fields of the consumer's config the caller gave, to update an existing consumer with. */
  given: { ackWaitMs: boolean, maxAckPending: boolean }
  name: string
}

const DEFAULTS = Object.freeze({ deliverPolicy: 'all', batch: 100, expiresMs: 1000, ackWaitMs: 30_000, maxAckPending: 20_000 } as const)
const OWN_KEYS = ['url', 'connection', 'stream', 'durable', 'deliverPolicy', 'batch', 'expiresMs', 'ackWaitMs', 'maxAckPending', 'name'] as const

export function natsJetStreamSettings (options: NatsJetStreamSourceOptions): NatsJetStreamSettings {
  validateObject(options, 'options')
  if (options === undefined) throw new InvalidOptionError('options', 'is required (at least url or connection, stream and durable)')
  validateKnownKeys(options, 'options', [...OWN_KEYS, ...LOG_SOURCE_KEYS])
  const url = validateString(options.url, 'options.url')
  if (url !== undefined && !validUrl(url)) throw new InvalidOptionError('options.url', 'must be a nats://host:port URL')
  const connection = options.connection
  if (connection !== undefined && !isNatsConnection(connection)) throw new InvalidOptionError('options.connection', 'must be a NATS connection')
  if ((url === undefined) === (connection === undefined)) throw new InvalidOptionError('options.url', 'or options.connection is required (exactly one of them)')
  const stream = validateString(options.stream, 'options.stream')
  if (stream === undefined) throw new InvalidOptionError('options.stream', 'is required')
  const durable = validateString(options.durable, 'options.durable')
  if (durable === undefined) throw new InvalidOptionError('options.durable', 'is required')
  // JetStream names become subject tokens: no dots, spaces or wildcards.
  for (const [name, value] of [['options.stream', stream], ['options.durable', durable]] as const) {
    if (/[\s.*>]/.test(value)) throw new InvalidOptionError(name, 'must not contain spaces, ".", "*" or ">"')
  }
  return {
    ...logSourceSettings(options),
    // A function, so that util.inspect of the settings never shows a password.
    url: url === undefined ? undefined : () => url,
    connection,
    stream,
    durable,
    deliverPolicy: validateOneOf(options.deliverPolicy, 'options.deliverPolicy', ['all', 'new'] as const) ?? DEFAULTS.deliverPolicy,
    batch: validateInteger(options.batch, 'options.batch', 1, 10_000) ?? DEFAULTS.batch,
    expiresMs: validateInteger(options.expiresMs, 'options.expiresMs', 1000, MAX_TIMER_MS) ?? DEFAULTS.expiresMs,
    ackWaitMs: validateInteger(options.ackWaitMs, 'options.ackWaitMs', 100, MAX_TIMER_MS) ?? DEFAULTS.ackWaitMs,
    maxAckPending: validateInteger(options.maxAckPending, 'options.maxAckPending', 1, 10_000_000) ?? DEFAULTS.maxAckPending,
    given: { ackWaitMs: options.ackWaitMs !== undefined, maxAckPending: options.maxAckPending !== undefined },
    name: validateString(options.name, 'options.name') ?? `${hostname()}-${process.pid}`
  }
}

function validUrl (url: string): boolean {
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'nats:' && parsed.hostname !== ''
  } catch {
    return false
  }
}
