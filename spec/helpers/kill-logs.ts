import { hostname } from 'node:os'
import { jetstream } from '@nats-io/jetstream'
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
    async unacknowledgedBy (victim) {
      // Nobody takes them over before claimIdleMs: this is what the killed worker held.
      const pending = await client.call('XPENDING', 'feed', 'g', '-', '+', 10_000_000, victim.name) as Array<[string]>
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
  const acked = new Set<number>()
  nats.nc.subscribe('$JS.ACK.FEED.d.>', {
    callback: (_err, msg) => {
      const payload = msg.string()
      if (payload !== '' && payload !== '+ACK') return // in-progress acks (+WPI)
      const tokens = msg.subject.split('.')
      acked.add(Number(tokens[tokens.length >= 12 ? 7 : 5]))
    }
  })
  return {
    async feed (records) {
      for (let i = 0; i < records.length; i += 500) {
        await Promise.all(records.slice(i, i + 500).map(async (r) => { recordOf.set((await js.publish('FEED.records', JSON.stringify(r))).seq, r.id) }))
      }
    },
    sourceArgs: () => ['--source', `${nats.url}/FEED`, '--durable', 'd', '--ack-wait-ms', String(ackWaitMs)],
    async settled () { return await nats.outstanding('FEED', 'd').then((o) => o.pending === 0 && o.ackPending === 0, () => false) },
    async joined (worker) {
      const connz = await (await fetch(`http://127.0.0.1:${monitor}/connz?limit=1000`)).json() as { connections?: Array<{ name?: string }> }
      return (connz.connections ?? []).some((c) => c.name === `${hostname()}-${worker.child.pid}`)
    },
    async unacknowledgedBy () {
      // The acks the killed worker sent before it died reach this subscription after a round trip.
      await nats.nc.flush()
      await new Promise((resolve) => setTimeout(resolve, 200))
      return new Set([...recordOf].filter(([seq]) => !acked.has(seq)).map(([, id]) => id))
    }
  }
}
