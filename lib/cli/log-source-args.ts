import { InvalidOptionError } from '../errors.js'

/** What `--source` and its flags ask for: a consumer group on a log instead of files. */
export type LogSourceCli =
  | { kind: 'redis', url: () => string, stream: string, group: string, consumer?: string, claimIdleMs?: number }
  | { kind: 'nats', url: () => string, stream: string, durable: string, ackWaitMs?: number }

/** The flags of this file, for parseArgs. */
export const LOG_SOURCE_FLAGS = {
  source: { type: 'string' },
  group: { type: 'string' },
  consumer: { type: 'string' },
  'claim-idle-ms': { type: 'string' },
  durable: { type: 'string' },
  'ack-wait-ms': { type: 'string' }
} as const

type Values = Partial<Record<keyof typeof LOG_SOURCE_FLAGS, string>>

const REDIS_ONLY = ['group', 'consumer', 'claim-idle-ms'] as const
const NATS_ONLY = ['durable', 'ack-wait-ms'] as const

/**
 * `--source redis://HOST:PORT/STREAM --group G [--consumer C] [--claim-idle-ms MS]`
 * or `--source nats://HOST:PORT/STREAM --durable D [--ack-wait-ms MS]`.
 * The URL's last path segment is the stream; the rest (credentials included)
 * is the server's, kept in a function so that printing the options never
 * shows a password. Throws `InvalidOptionError` naming the flag; messages
 * never contain the URL.
 */
export function parseLogSource (v: Values, files: readonly string[]): LogSourceCli | undefined {
  if (v.source === undefined) {
    const stray = [...REDIS_ONLY, ...NATS_ONLY].find((flag) => v[flag] !== undefined)
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
  if (kind === 'redis') {
    const clash = NATS_ONLY.find((flag) => v[flag] !== undefined)
    if (clash !== undefined) throw new InvalidOptionError(`--${clash}`, 'is for nats:// sources')
    if (v.group === undefined || v.group === '') throw new InvalidOptionError('--group', 'is required with a redis:// source')
    return { kind, url: () => server, stream, group: v.group, consumer: v.consumer, claimIdleMs: whole(v['claim-idle-ms'], '--claim-idle-ms') }
  }
  const clash = REDIS_ONLY.find((flag) => v[flag] !== undefined)
  if (clash !== undefined) throw new InvalidOptionError(`--${clash}`, 'is for redis:// sources')
  if (v.durable === undefined || v.durable === '') throw new InvalidOptionError('--durable', 'is required with a nats:// source')
  return { kind, url: () => server, stream, durable: v.durable, ackWaitMs: whole(v['ack-wait-ms'], '--ack-wait-ms') }
}

function whole (value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new InvalidOptionError(flag, 'must be a whole number')
  return Number(value)
}
