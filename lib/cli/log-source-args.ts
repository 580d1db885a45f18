import { InvalidOptionError } from '../errors.js'
import { natsJetStreamSettings } from '../sources/nats-jetstream-options.js'
import { redisStreamSettings } from '../sources/redis-stream-options.js'
import { asFlags } from './flag-errors.js'

/** The source's own options that the flags set; the library checks their ranges (its errors are reworded to name the flag). */
export interface RedisCliOptions { startId?: string, field?: string, count?: number, blockMs?: number, reconnectTimeoutMs?: number }
export interface NatsCliOptions { deliverPolicy?: 'all' | 'new', batch?: number, expiresMs?: number, maxAckPending?: number, name?: string, reconnectTimeoutMs?: number }

/** What `--source` and its flags ask for: a consumer group on a log instead of files. */
export type LogSourceCli =
  | { kind: 'redis', url: () => string, stream: string, group: string, consumer?: string, claimIdleMs?: number, options: RedisCliOptions }
  | { kind: 'nats', url: () => string, stream: string, durable: string, ackWaitMs?: number, options: NatsCliOptions }

/** The flags of this file, for parseArgs. */
export const LOG_SOURCE_FLAGS = {
  source: { type: 'string' },
  'reconnect-timeout-ms': { type: 'string' },
  group: { type: 'string' },
  consumer: { type: 'string' },
  'claim-idle-ms': { type: 'string' },
  'start-id': { type: 'string' },
  field: { type: 'string' },
  count: { type: 'string' },
  'block-ms': { type: 'string' },
  durable: { type: 'string' },
  'ack-wait-ms': { type: 'string' },
  'deliver-policy': { type: 'string' },
  'pull-batch': { type: 'string' },
  'expires-ms': { type: 'string' },
  'max-ack-pending': { type: 'string' },
  'connection-name': { type: 'string' }
} as const

/** Flags named otherwise than their option (`--pull-batch`: `--batch` would read as the batching of objects). */
export const LOG_SOURCE_OPTION_FLAGS = { 'options.batch': '--pull-batch', 'options.name': '--connection-name' }

type Values = Partial<Record<keyof typeof LOG_SOURCE_FLAGS, string>>

const REDIS_ONLY = ['group', 'consumer', 'claim-idle-ms', 'start-id', 'field', 'count', 'block-ms'] as const
const NATS_ONLY = ['durable', 'ack-wait-ms', 'deliver-policy', 'pull-batch', 'expires-ms', 'max-ack-pending', 'connection-name'] as const

/**
 * `--source redis://HOST:PORT/STREAM --group G [--consumer C] [--claim-idle-ms MS]
 * [--start-id ID] [--field NAME] [--count N] [--block-ms MS]`
 * or `--source nats://HOST:PORT/STREAM --durable D [--ack-wait-ms MS]
 * [--deliver-policy all|new] [--pull-batch N] [--expires-ms MS] [--max-ack-pending N]
 * [--connection-name NAME]`, either with `[--reconnect-timeout-ms MS]`.
 * The URL's last path segment is the stream; the rest (credentials included)
 * is the server's, kept in a function so that printing the options never
 * shows a password. Throws `InvalidOptionError` naming the flag; messages
 * never contain the URL.
 */
export function parseLogSource (v: Values, files: readonly string[]): LogSourceCli | undefined {
  if (v.source === undefined) {
    const stray = [...REDIS_ONLY, ...NATS_ONLY, 'reconnect-timeout-ms' as const].find((flag) => v[flag] !== undefined)
    if (stray !== undefined) throw new InvalidOptionError(`--${stray}`, 'needs --source')
    return undefined
  }
  if (files.length > 0) throw new InvalidOptionError('--source', 'cannot be combined with input files')
  let url: URL
  try {
    url = new URL(v.source)
  } catch {
    throw new InvalidOptionError('--source', 'must be redis://HOST:PORT/STREAM or nats://HOST:PORT/STREAM')
  }
  const kind = url.protocol === 'redis:' || url.protocol === 'rediss:' ? 'redis' : url.protocol === 'nats:' ? 'nats' : undefined
  const segments = url.pathname.split('/').filter((s) => s !== '')
  const stream = decodeURIComponent(segments.pop() ?? '')
  if (kind === undefined || url.hostname === '' || stream === '') {
    throw new InvalidOptionError('--source', 'must be redis://HOST:PORT/STREAM or nats://HOST:PORT/STREAM')
  }
  url.pathname = segments.length > 0 ? `/${segments.join('/')}` : ''
  const server = url.toString()
  const reconnectTimeoutMs = whole(v['reconnect-timeout-ms'], '--reconnect-timeout-ms')
  if (kind === 'redis') {
    const clash = NATS_ONLY.find((flag) => v[flag] !== undefined)
    if (clash !== undefined) throw new InvalidOptionError(`--${clash}`, 'is for nats:// sources')
    if (v.group === undefined || v.group === '') throw new InvalidOptionError('--group', 'is required with a redis:// source')
    const options = { startId: v['start-id'], field: v.field, count: whole(v.count, '--count'), blockMs: whole(v['block-ms'], '--block-ms'), reconnectTimeoutMs }
    const parsed: LogSourceCli = { kind, url: () => server, stream, group: v.group, consumer: v.consumer, claimIdleMs: whole(v['claim-idle-ms'], '--claim-idle-ms'), options }
    // The library's own checks, now rather than once the run has started, naming the flag.
    asFlags(() => redisStreamSettings({ ...options, url: server, stream, group: parsed.group, consumer: parsed.consumer, claimIdleMs: parsed.claimIdleMs }))
    return parsed
  }
  const clash = REDIS_ONLY.find((flag) => v[flag] !== undefined)
  if (clash !== undefined) throw new InvalidOptionError(`--${clash}`, 'is for redis:// sources')
  if (v.durable === undefined || v.durable === '') throw new InvalidOptionError('--durable', 'is required with a nats:// source')
  const deliverPolicy = v['deliver-policy']
  if (deliverPolicy !== undefined && deliverPolicy !== 'all' && deliverPolicy !== 'new') throw new InvalidOptionError('--deliver-policy', 'must be all or new')
  const options: NatsCliOptions = {
    deliverPolicy,
    batch: whole(v['pull-batch'], '--pull-batch'),
    expiresMs: whole(v['expires-ms'], '--expires-ms'),
    maxAckPending: whole(v['max-ack-pending'], '--max-ack-pending'),
    name: v['connection-name'],
    reconnectTimeoutMs
  }
  const ackWaitMs = whole(v['ack-wait-ms'], '--ack-wait-ms')
  asFlags(() => natsJetStreamSettings({ ...options, url: server, stream, durable: v.durable!, ackWaitMs }), LOG_SOURCE_OPTION_FLAGS)
  return { kind, url: () => server, stream, durable: v.durable, ackWaitMs, options }
}

function whole (value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new InvalidOptionError(flag, 'must be a whole number')
  return Number(value)
}
