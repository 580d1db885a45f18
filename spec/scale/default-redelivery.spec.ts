import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import type { DurableRecord } from '../../lib/durable.js'
import { createS3Sink } from '../../lib/sinks/create-s3-sink.js'
import { natsJetStreamSource } from '../../lib/sources/nats-jetstream-source.js'
import { redisStreamSource } from '../../lib/sources/redis-stream-source.js'
import type { Readable } from 'node:stream'
import { waitUntil } from '../helpers/cli-worker.js'
import { manualClock } from '../helpers/manual-clock.js'
import { startNats, type LocalNats } from '../helpers/nats-server.js'
import { addRecords, startRedis, type LocalRedis } from '../helpers/redis-server.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { closed } from '../helpers/streams.js'

/**
 * A worker dies holding records it has not acknowledged; another worker,
 * with the sources' DEFAULT settings, must get them into S3. JetStream's
 * default ackWait (30 s) fits in a spec and is waited for in real time.
 * Redis's default claimIdleMs (2 minutes) does not: the dead consumer's
 * entries are aged on the server (XCLAIM ... IDLE, what Redis's clock would
 * show after the wait) and the heir's claim schedule runs on an injected
 * clock; the claim itself is Redis's, against the default min-idle time.
 */
const N = 20
const runs = Array.from({ length: N }, (_, i) => ({ apiInfo: { name: 'runs', runId: `r${i}` }, i }))
const keys = runs.map((r) => `${r.apiInfo.name}/${r.apiInfo.runId}.json`).sort()

/** Reads `n` records and keeps them unacknowledged. */
async function hold (stream: Readable, n: number): Promise<DurableRecord[]> {
  const out: DurableRecord[] = []
  for await (const record of stream) if (out.push(record as DurableRecord) === n) break
  return out
}

describe('redelivery with the default settings: a dead worker\'s records reach S3 through another worker', function () {
  this.timeout(90_000)
  let s3: LocalS3
  // A failed expectation leaves the heir reading: it is torn down here so that the run ends.
  const open: Readable[] = []
  before(async () => { s3 = await startS3rver() })
  after(async () => { await s3.close() })
  afterEach(async () => { await Promise.all(open.splice(0).map(async (s) => { s.destroy(); await closed(s) })) })
  /** The heir's pipeline into S3 with the sink's defaults. */
  const deliver = (heir: Readable, bucket: string): Promise<void> => {
    open.push(heir)
    const done = pipeline(heir, createS3Sink({ type: 's3', bucket, ...s3.config }))
    done.catch(() => {}) // awaited by the spec; when the spec fails first, afterEach's destroy rejects it
    return done
  }

  describe('NATS JetStream (default ackWaitMs: 30 s)', () => {
    let nats: LocalNats
    before(async () => {
      nats = await startNats()
      await nats.createStream('RUNS')
      await s3.createBucket('nats')
    })
    after(async () => { await nats.close() })

    it('redelivers them 30 s after the dead worker received them, and the heir stores them', async () => {
      await nats.publish('RUNS', runs)
      const dead = natsJetStreamSource({ url: nats.url, stream: 'RUNS', durable: 'd' })
      expect(await hold(dead, N)).to.have.length(N) // then it dies without acknowledging: for await destroyed it
      const diedAt = Date.now()
      await closed(dead)
      await dead.close()
      expect((await nats.outstanding('RUNS', 'd')).ackPending).to.equal(N)

      const stop = new AbortController()
      const heir = natsJetStreamSource({ url: nats.url, stream: 'RUNS', durable: 'd', signal: stop.signal })
      let firstAt = 0
      heir.once('data', () => { firstAt = Date.now() })
      const delivered = deliver(heir, 'nats')
      await waitUntil(async () => (await s3.listKeys('nats')).length === N, 60_000, 'every record in S3')
      await waitUntil(async () => (await nats.outstanding('RUNS', 'd')).ackPending === 0, 10_000, 'every record acknowledged')
      stop.abort()
      await delivered
      expect((await s3.listKeys('nats')).sort()).to.deep.equal(keys)
      expect(heir.stats.redelivered).to.equal(N)
      // Not sooner than the ack wait, counted from the delivery to the dead worker (just before diedAt).
      expect(firstAt - diedAt).to.be.at.least(25_000)
    })
  })

  describe('Redis Streams (default claimIdleMs: 2 minutes)', () => {
    let redis: LocalRedis
    before(async () => {
      redis = await startRedis()
      await s3.createBucket('redis')
    })
    after(async () => { await redis.close() })

    const claimScans = async (): Promise<number> => Number(/cmdstat_xautoclaim:calls=(\d+)/.exec(await redis.client.info('commandstats'))?.[1] ?? 0)
    const pendingOf = async (consumer: string): Promise<string[]> =>
      (await redis.client.call('XPENDING', 'runs', 'g', '-', '+', 1000, consumer) as Array<[string]>).map(([id]) => id)
    /** Sets the idle time Redis keeps for the dead consumer's entries, as if that much time had passed since it read them. */
    const age = async (ids: string[], idleMs: number): Promise<void> => { await redis.client.call('XCLAIM', 'runs', 'g', 'dead', 0, ...ids, 'IDLE', idleMs, 'JUSTID') }

    it('takes them over once idle for 2 minutes, not before, and the heir stores them', async () => {
      await addRecords(redis.client, 'runs', runs)
      const dead = redisStreamSource({ url: redis.url, stream: 'runs', group: 'g', consumer: 'dead' })
      expect(await hold(dead, N)).to.have.length(N)
      await closed(dead)
      await dead.close()
      const ids = await pendingOf('dead')
      expect(ids).to.have.length(N)

      const scansBefore = await claimScans()
      const clock = manualClock(Date.now())
      const stop = new AbortController()
      const heir = redisStreamSource({ url: redis.url, stream: 'runs', group: 'g', consumer: 'heir', clock, signal: stop.signal })
      const delivered = deliver(heir, 'redis')
      // Each step waits for the heir's next claim scan (one every 10 s by its clock with the default claimIdleMs).
      const scanned = async (): Promise<void> => {
        const before = await claimScans()
        clock.advance(10_000)
        await waitUntil(async () => await claimScans() > before, 10_000, 'the heir\'s next claim scan')
      }
      await waitUntil(async () => await claimScans() > scansBefore, 10_000, 'the heir\'s first claim scan')

      await age(ids, 110_000)
      await scanned()
      expect(await pendingOf('dead'), 'entries idle 10 s short of the default stay with the dead consumer').to.have.length(N)
      expect(heir.stats.redelivered).to.equal(0)

      await age(ids, 120_000)
      await scanned()
      await waitUntil(async () => (await s3.listKeys('redis')).length === N, 20_000, 'every record in S3')
      await waitUntil(async () => (await pendingOf('dead')).length + (await pendingOf('heir')).length === 0, 10_000, 'every record acknowledged')
      stop.abort()
      await delivered
      expect((await s3.listKeys('redis')).sort()).to.deep.equal(keys)
      expect(heir.stats.redelivered).to.equal(N)
    })
  })
})
