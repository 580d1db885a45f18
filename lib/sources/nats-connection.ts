import type { NatsConnection, ConnectionOptions } from '@nats-io/transport-node'
import { S3SinkError } from '../errors.js'

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
    reconnectJitter: 250
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
