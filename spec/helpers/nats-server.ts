import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { connect, type NatsConnection } from '@nats-io/transport-node'
import { jetstream, jetstreamManager, type JetStreamManager } from '@nats-io/jetstream'
import { findServer, freePort, startProcess, stopProcess } from './server-process.js'

/** A real nats-server with JetStream on a free 127.0.0.1 port, its store in a temp directory. */
export interface LocalNats {
  port: number
  url: string
  /** A connection for the spec's own work (creating streams, publishing). */
  nc: NatsConnection
  jsm: JetStreamManager
  /** Creates a file-stored stream `name` on subject `name.>`. */
  createStream (name: string): Promise<void>
  /** Publishes each record's JSON (or a string as is) on `name.records`, awaiting every ack. */
  publish (name: string, records: readonly unknown[]): Promise<void>
  /** Messages of `durable` delivered and not yet acknowledged, plus those not yet delivered. */
  outstanding (stream: string, durable: string): Promise<{ ackPending: number, pending: number, redelivered: number }>
  /** The server process's id (the benchmark reads its CPU time). */
  readonly pid: number | undefined
  /** Kills the server (SIGKILL), keeping its port and store. */
  crash (): Promise<void>
  restart (): Promise<void>
  close (): Promise<void>
}

export async function startNats (extraArgs: string[] = []): Promise<LocalNats> {
  const bin = findServer('nats-server')
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'nats-'))
  const args = ['-js', '-a', '127.0.0.1', '-p', String(port), '-sd', dir, ...extraArgs]
  let child: ChildProcess = await startProcess(bin, args, /Server is ready/)
  const url = `nats://127.0.0.1:${port}`
  const user = extraArgs.includes('--user') ? { user: extraArgs[extraArgs.indexOf('--user') + 1], pass: extraArgs[extraArgs.indexOf('--pass') + 1] } : {}
  const nc = await connect({ servers: url, maxReconnectAttempts: -1, reconnectTimeWait: 100, ...user })
  const jsm = await jetstreamManager(nc)
  const js = jetstream(nc)
  return {
    port,
    url,
    nc,
    jsm,
    async createStream (name) { await jsm.streams.add({ name, subjects: [`${name}.>`] }) },
    async publish (name, records) {
      for (let i = 0; i < records.length; i += 500) {
        await Promise.all(records.slice(i, i + 500).map(async (r) => await js.publish(`${name}.records`, typeof r === 'string' ? r : JSON.stringify(r))))
      }
    },
    async outstanding (stream, durable) {
      const info = await jsm.consumers.info(stream, durable)
      return { ackPending: info.num_ack_pending, pending: info.num_pending, redelivered: info.num_redelivered }
    },
    get pid () { return child.pid },
    async crash () { await stopProcess(child, 'SIGKILL') },
    async restart () { child = await startProcess(bin, args, /Server is ready/) },
    async close () {
      await nc.close()
      await stopProcess(child)
      await rm(dir, { recursive: true, force: true })
    }
  }
}
