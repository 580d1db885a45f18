import type { Redis, RedisOptions } from 'ioredis'
import { MAX_TIMER_MS, type Clock } from '../clock.js'
import { S3SinkError, SourceConnectionError, describe } from '../errors.js'
import { backoffDelay } from './backoff.js'
import { permanentRedisError } from './redis-errors.js'
import { sleep } from './source-options.js'

/** How a source watches one Redis connection. */
export interface RedisWatch {
  /** Stops watching (the connection is closed by its owner). */
  dispose (): void
}

/** ioredis, loaded when a source first needs it: an optional peer dependency. */
export async function loadIoredis (): Promise<typeof import('ioredis').Redis> {
  try {
    return (await import('ioredis')).Redis
  } catch (err) {
    throw new S3SinkError('redisStreamSource needs the ioredis package: npm install ioredis', { cause: err })
  }
}

/** How long a command may go unanswered (past its own `BLOCK`, for a blocking read) before its connection counts as lost. */
export const ANSWER_MARGIN_MS = 10_000

/**
 * Options for the connections a source makes itself: commands wait through a
 * reconnect instead of failing (a blocking read or an XACK is sent again once
 * the connection is back), reconnects back off with jitter. A connection
 * that leaves a command unanswered for `blockMs` + {@link ANSWER_MARGIN_MS}
 * (`blockMs` 0 for a connection that never blocks), as a cut network does
 * (no FIN, no RST, nothing), is closed and reconnected as a lost one is, so
 * `reconnectTimeoutMs` counts from then. TCP keep-alive alone would take
 * minutes, and never notices a server that is stopped (SIGSTOP, a VM paused).
 */
export function connectionOptions (name: string, blockMs: number): RedisOptions {
  return {
    maxRetriesPerRequest: null,
    enableReadyCheck: true,
    connectionName: name.replace(/\s/g, '_'),
    retryStrategy: (times: number) => backoffDelay(times),
    socketTimeout: Math.min(blockMs + ANSWER_MARGIN_MS, MAX_TIMER_MS)
  }
}

/**
 * Fails through `onFatal` when `client` refuses for good (credentials, not a
 * Redis server) or stays without a connection for `timeoutMs`, at start or
 * after a loss. Anything shorter is ridden out by the client's reconnects.
 */
export function watchRedis (client: Redis, onFatal: (err: Error) => void, timeoutMs: number, clock: Clock, where: string): RedisWatch {
  let timer: unknown = null
  let lastError: unknown
  const arm = (): void => {
    if (timer !== null) return
    timer = clock.setTimeout(() => {
      timer = null
      const last = lastError === undefined ? '' : `: ${describe(lastError)}`
      onFatal(new SourceConnectionError(`${where}: no connection for ${timeoutMs} ms${last}`, { cause: lastError }))
    }, timeoutMs)
  }
  const onReady = (): void => {
    if (timer !== null) clock.clearTimeout(timer)
    timer = null
  }
  const onError = (err: unknown): void => {
    lastError = err
    const fatal = permanentRedisError(err, where)
    if (fatal !== null) onFatal(fatal)
  }
  client.on('ready', onReady)
  client.on('error', onError)
  client.on('close', arm)
  if (client.status !== 'ready') arm()
  return {
    dispose () {
      if (timer !== null) clock.clearTimeout(timer)
      timer = null
      client.off('ready', onReady)
      client.off('error', onError)
      client.off('close', arm)
    }
  }
}

/** Creates the consumer group (and the stream, MKSTREAM) from `startId`; an existing group is kept as it is. */
export async function createGroup (client: Redis, stream: string, group: string, startId: string): Promise<void> {
  try {
    await client.call('XGROUP', 'CREATE', stream, group, startId, 'MKSTREAM')
  } catch (err) {
    if (!/^BUSYGROUP\b/.test((err as Error).message)) throw err
  }
}

/**
 * {@link createGroup}, sent again with backoff while it fails in a way
 * retrying can cure, for `timeoutMs` at most, then `ERR_SOURCE_CONNECTION`.
 * The source's own connections wait through reconnects instead of failing,
 * but a caller's client may not: with `enableOfflineQueue: false` it refuses
 * commands until connected, with its own `maxRetriesPerRequest` it gives up
 * during an outage; either failed the source at once, uncoded. A refusal
 * (credentials, not a Redis server) is thrown as it is, for the caller to
 * code. Resolves early once `stopped()` (the source is closing).
 */
export async function createGroupRetrying (client: Redis, s: { stream: string, group: string, startId: string, reconnectTimeoutMs: number, clock: Clock }, where: string, stopped: () => boolean): Promise<void> {
  const since = s.clock.now()
  for (let attempt = 1; ; attempt++) {
    try {
      return await createGroup(client, s.stream, s.group, s.startId)
    } catch (err) {
      if (permanentRedisError(err, where) !== null) throw err
      if (s.clock.now() - since >= s.reconnectTimeoutMs) {
        throw new SourceConnectionError(`${where}: could not create group ${s.group} for ${s.reconnectTimeoutMs} ms: ${describe(err)}`, { cause: err })
      }
      await sleep(backoffDelay(attempt), s.clock)
      if (stopped()) return
    }
  }
}
