import type { NatsConnection, ConnectionOptions } from '@nats-io/transport-node'
import type { JetStreamManager } from '@nats-io/jetstream'
import { S3SinkError, SourceConnectionError, describe } from '../errors.js'
import { backoffDelay } from './backoff.js'
import { permanentNatsError } from './nats-errors.js'
import type { NatsJetStreamSettings } from './nats-jetstream-options.js'
import { sleep } from './source-options.js'

const NANOS_PER_MS = 1_000_000
/** How often the source's own connection pings the server. */
export const PING_INTERVAL_MS = 5_000
/** Pings unanswered before the connection counts as lost (the client's default). */
export const MAX_PINGS_OUT = 2

/** The NATS modules, loaded when a source first needs them: optional peer dependencies. */
export async function loadNats (): Promise<{ connect: typeof import('@nats-io/transport-node').connect, jetstream: typeof import('@nats-io/jetstream').jetstream, jetstreamManager: typeof import('@nats-io/jetstream').jetstreamManager }> {
  try {
    const [transport, js] = await Promise.all([import('@nats-io/transport-node'), import('@nats-io/jetstream')])
    return { connect: transport.connect, jetstream: js.jetstream, jetstreamManager: js.jetstreamManager }
  } catch (err) {
    throw new S3SinkError('natsJetStreamSource needs the @nats-io/transport-node and @nats-io/jetstream packages: npm install @nats-io/transport-node @nats-io/jetstream', { cause: err })
  }
}

/**
 * Connection options from `nats://[user:password@|token@]host:port`: the
 * credentials move out of the URL into the client's own fields, so no
 * server list the client prints or reports carries them.
 */
export function natsConnectOptions (url: string, name: string): ConnectionOptions {
  const parsed = new URL(url)
  const user = decodeURIComponent(parsed.username)
  const pass = decodeURIComponent(parsed.password)
  const auth = user === '' ? {} : pass === '' ? { token: user } : { user, pass }
  return {
    servers: `${parsed.hostname.includes(':') ? `[${parsed.hostname}]` : parsed.hostname}:${parsed.port === '' ? '4222' : parsed.port}`,
    name,
    ...auth,
    // Once connected, reconnects forever: the source's watchdog decides when an outage is too long.
    maxReconnectAttempts: -1,
    reconnectTimeWait: 250,
    reconnectJitter: 250,
    // A connection gone silent (no FIN, no RST) is stale once MAX_PINGS_OUT
    // pings go unanswered: 10 to 15 s here, 4 to 6 minutes with the client's
    // default 2-minute interval. Then it reconnects, and the watchdog counts.
    pingInterval: PING_INTERVAL_MS,
    maxPingOut: MAX_PINGS_OUT
  }
}

/** Resolves once `nc` reports a disconnect and again a reconnect: feeds the watchdog. */
export async function followStatus (nc: NatsConnection, onDown: () => void, onUp: () => void, onError: (err: unknown) => void): Promise<void> {
  for await (const status of nc.status()) {
    if (status.type === 'disconnect' || status.type === 'staleConnection') onDown()
    else if (status.type === 'reconnect') onUp()
    else if (status.type === 'error') onError((status as { error?: unknown }).error)
  }
}

/** Connects, retrying failed attempts with backoff for up to reconnectTimeoutMs (or until `closing()`); refused credentials fail at once. */
export async function connectNats (connect: (options: ConnectionOptions) => Promise<NatsConnection>, s: NatsJetStreamSettings, closing: () => boolean): Promise<NatsConnection> {
  const until = s.clock.now() + s.reconnectTimeoutMs
  const options = natsConnectOptions(s.url!(), s.name)
  for (let attempt = 1; ; attempt++) {
    try {
      const left = until - s.clock.now()
      return await connect({ ...options, timeout: Math.max(100, Math.min(left, 20_000)) })
    } catch (err) {
      const fatal = permanentNatsError(err, `nats stream ${s.stream}`)
      if (fatal !== null) throw fatal
      const delay = backoffDelay(attempt)
      if (closing() || s.clock.now() + delay >= until) {
        throw new SourceConnectionError(`nats stream ${s.stream}: no connection for ${s.reconnectTimeoutMs} ms: ${describe(err)}`, { cause: err })
      }
      await sleep(delay, s.clock)
    }
  }
}

/** Makes sure the durable consumer exists with explicit acks; updates ackWait / maxAckPending on an existing one when the caller gave them. */
export async function ensureDurable (jsm: JetStreamManager, s: NatsJetStreamSettings): Promise<void> {
  const config = { ack_wait: s.ackWaitMs * NANOS_PER_MS, max_ack_pending: s.maxAckPending }
  try {
    const info = await jsm.consumers.info(s.stream, s.durable)
    const update: Partial<typeof config> = {}
    if (s.given.ackWaitMs && info.config.ack_wait !== config.ack_wait) update.ack_wait = config.ack_wait
    if (s.given.maxAckPending && info.config.max_ack_pending !== config.max_ack_pending) update.max_ack_pending = config.max_ack_pending
    if (Object.keys(update).length > 0) await jsm.consumers.update(s.stream, s.durable, update)
  } catch (err) {
    if ((err as Error).name !== 'ConsumerNotFoundError') throw err
    await jsm.consumers.add(s.stream, {
      durable_name: s.durable,
      ack_policy: 'explicit' as never,
      deliver_policy: s.deliverPolicy as never,
      ...config
    })
  }
}
