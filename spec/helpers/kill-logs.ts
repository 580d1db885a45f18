import { hostname } from 'node:os'
import { jetstream } from '@nats-io/jetstream'
import { waitUntil, type CliWorker } from './cli-worker.js'
import type { KillTestLog } from './kill-test.js'
import type { LocalNats } from './nats-server.js'
import { addRecords, type LocalRedis } from './redis-server.js'

/**
 * The kill test on stream `feed` of `redis`, group `g`, each worker its own
 * consumer named after it. `claimIdleMs` is the scenario's: how soon the
 * killed worker's entries are taken over.
 */
export function redisKillLog (redis: LocalRedis, claimIdleMs: number): KillTestLog {
  const { client } = redis
  return {
    async feed (records) { await addRecords(client, 'feed', records) },
    sourceArgs: (name) => ['--source', `${redis.url}/feed`, '--group', 'g', '--consumer', name, '--claim-idle-ms', String(claimIdleMs)],
    async settled () {
      const groups = await client.xinfo('GROUPS', 'feed') as unknown[][]
      const info = groups[0] ?? []
      const field = (name: string): number => Number(info[info.indexOf(name) + 1])
      return field('pending') === 0 && field('lag') === 0
    },
    async joined (worker) { return (await client.call('CLIENT', 'LIST') as string).includes(` name=${worker.name} `) },
    async unacknowledgedBy (victim, killedAt) {
      // Once Redis has dropped the killed worker's connections it has run every command the worker sent, its last XACKs too.
      await waitUntil(async () => !(await client.call('CLIENT', 'LIST') as string).includes(` name=${victim.name} `), 10_000, 'Redis to drop the killed worker\'s connections')
      const pending = await client.call('XPENDING', 'feed', 'g', '-', '+', 10_000_000, victim.name) as Array<[string]>
      // Alive, the worker renewed its entries every claimIdleMs / 3, so no other could take any over this soon after the kill.
      inTime(killedAt, claimIdleMs / 3, 'XPENDING')
      const ids = new Set<number>()
      for (let i = 0; i < pending.length; i += 1000) {
        const pipe = client.pipeline()
        for (const [id] of pending.slice(i, i + 1000)) pipe.xrange('feed', id, id)
        for (const [, entries] of await pipe.exec() ?? []) {
          for (const [, fields] of entries as Array<[string, string[]]>) ids.add((JSON.parse(fields[1]!) as { id: number }).id)
        }
      }
      return ids
    }
  }
}

/**
 * The kill test on JetStream stream `FEED` of `nats` (started with its
 * monitoring port `monitor`, which tells who is connected), durable `d`.
 * JetStream keeps no record of who acknowledged what, so every ack any
 * worker sends is watched on `$JS.ACK.FEED.d.>`: at the kill, what the
 * killed worker had not acknowledged is among the messages nobody had.
 */
export function natsKillLog (nats: LocalNats, monitor: number, ackWaitMs: number): KillTestLog {
  const js = jetstream(nats.nc)
  const recordOf = new Map<number, number>()
  /** Stream sequence acknowledged -> the consumer sequence of the delivery acknowledged. */
  const acked = new Map<number, number>()
  nats.nc.subscribe('$JS.ACK.FEED.d.>', {
    callback: (_err, msg) => {
      const payload = msg.string()
      if (payload !== '' && payload !== '+ACK') return // in-progress acks (+WPI)
      // $JS.ACK.[domain.account.]FEED.d.<delivered>.<stream seq>.<consumer seq>.<time>.<pending>[.<token>]
      const tokens = msg.subject.split('.')
      const at = tokens.length >= 12 ? 7 : 5
      const seq = Number(tokens[at])
      acked.set(seq, Math.min(acked.get(seq) ?? Infinity, Number(tokens[at + 1])))
    }
  })
  const connected = async (worker: CliWorker): Promise<boolean> => {
    const connz = await (await fetch(`http://127.0.0.1:${monitor}/connz?limit=1000`)).json() as { connections?: Array<{ name?: string }> }
    return (connz.connections ?? []).some((c) => c.name === `${hostname()}-${worker.child.pid}`)
  }
  return {
    async feed (records) {
      for (let i = 0; i < records.length; i += 500) {
        await Promise.all(records.slice(i, i + 500).map(async (r) => { recordOf.set((await js.publish('FEED.records', JSON.stringify(r))).seq, r.id) }))
      }
    },
    sourceArgs: () => ['--source', `${nats.url}/FEED`, '--durable', 'd', '--ack-wait-ms', String(ackWaitMs)],
    async settled () { return await nats.outstanding('FEED', 'd').then((o) => o.pending === 0 && o.ackPending === 0, () => false) },
    joined: connected,
    async unacknowledgedBy (victim, killedAt) {
      // Deliveries up to this consumer sequence were made before the kill: a redelivery of what the killed
      // worker held comes later, so its ack (by another worker) does not hide that the killed one never acked.
      const deliveredBefore = (await nats.jsm.consumers.info('FEED', 'd')).delivered.consumer_seq
      inTime(killedAt, ackWaitMs / 3, 'the consumer info')
      // Once the server has dropped the killed worker's connection it has routed every ack the worker sent;
      // a round trip on this connection then brings them all to the subscription.
      await waitUntil(async () => !(await connected(victim)), 10_000, 'the server to drop the killed worker\'s connection')
      await nats.nc.flush()
      return new Set([...recordOf].filter(([seq]) => !((acked.get(seq) ?? Infinity) <= deliveredBefore)).map(([, id]) => id))
    }
  }
}

/**
 * Throws unless `what` was read within `ms` of the kill: later, the log
 * could already have handed the killed worker's records to another worker,
 * and the bound would be read short.
 */
function inTime (killedAt: number, ms: number, what: string): void {
  const late = Date.now() - killedAt
  if (late > ms) throw new Error(`${what} was read ${late} ms after the kill, later than ${Math.round(ms)} ms: the bound would not be exact`)
}
