import { once } from 'node:events'
import { createServer, type Server } from 'node:net'
import { inspect } from 'node:util'
import { expect } from 'chai'
import { Redis } from 'ioredis'
import { onDurable, type DurableRecord } from '../../lib/durable.js'
import type { SourcePayloadError } from '../../lib/errors.js'
import { redisStreamSource, type RedisStreamSource, type RedisStreamSourceOptions } from '../../lib/sources/redis-stream-source.js'
import { CLAIM_IDLE_MS } from '../../lib/sources/redis-stream-options.js'
import { InvalidPayload } from '../../lib/sources/payload.js'
import { minuteWindow } from '../../lib/stages/minute-window.js'
import { addRecords, pendingCount, startRedis, type LocalRedis } from '../helpers/redis-server.js'
import { silentCut, takeKeep } from '../helpers/silent-cut.js'
import { expectLogSourceOptionChecks } from '../helpers/log-source-options.js'
import { manualClock } from '../helpers/manual-clock.js'
import { trackingClock } from '../helpers/tracking-clock.js'
import { closed, drainBatches, run, source as arraySource } from '../helpers/streams.js'

/** Reads `n` records (or until the end), without acknowledging them. */
async function take (stream: RedisStreamSource, n: number): Promise<DurableRecord[]> {
  const out: DurableRecord[] = []
  if (n === 0) return out
  for await (const record of stream) {
    out.push(record as DurableRecord)
    if (out.length === n) break
  }
  return out
}

/** A record's own JSON fields (spread would copy the onDurable symbol too). */
const plain = (r: unknown): unknown => JSON.parse(JSON.stringify(r))

async function waitFor (check: () => Promise<boolean> | boolean, ms = 5000): Promise<void> {
  const until = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
}

describe('redisStreamSource', function () {
  this.timeout(20_000)
  let redis: LocalRedis
  let n = 0
  let stream: string
  const open: RedisStreamSource[] = []
  const make = (options: Partial<RedisStreamSourceOptions> = {}): RedisStreamSource => {
    const s = redisStreamSource({ url: redis.url, stream, group: 'g', consumer: `c${open.length}`, blockMs: 50, ...options })
    open.push(s)
    return s
  }

  before(async () => { redis = await startRedis() })
  after(async () => { await redis.close() })
  beforeEach(() => { stream = `s${++n}` })
  afterEach(async () => { await Promise.all(open.splice(0).map(async (s) => await s.close())) })

  it('pushes the records of the stream, each acknowledging its entry through onDurable', async () => {
    const records = Array.from({ length: 250 }, (_, i) => run(i))
    await addRecords(redis.client, stream, records)
    const s = make()
    const got = await takeKeep(s, 250)
    expect(got.map(plain)).to.deep.equal(records)
    expect(await pendingCount(redis.client, stream, 'g')).to.equal(250)
    for (const r of got) expect(r[onDurable]).to.be.a('function')
    got.slice(0, 100).forEach((r) => r[onDurable]!())
    got[0]![onDurable]!() // twice: still one acknowledgement
    await waitFor(async () => await pendingCount(redis.client, stream, 'g') === 150)
    got.slice(100).forEach((r) => r[onDurable]!())
    await waitFor(async () => await pendingCount(redis.client, stream, 'g') === 0)
    expect(s.stats).to.include({ read: 250, acknowledged: 250, redelivered: 0 })
  })

  it('creates the group from 0 by default, and from $ when asked', async () => {
    await addRecords(redis.client, stream, [{ a: 1 }])
    expect(await take(make(), 1)).to.have.length(1)
    const late = make({ group: 'late', startId: '$' })
    const reading = take(late, 1)
    await waitFor(async () => (await redis.client.xinfo('GROUPS', stream) as unknown[]).length === 2)
    await addRecords(redis.client, stream, [{ a: 2 }])
    expect((await reading).map(plain)).to.deep.equal([{ a: 2 }])
  })

  it('reads entries whose fields are the record\'s fields with field: null', async () => {
    await redis.client.xadd(stream, '*', 'id', '7', 'name', 'x')
    expect((await take(make({ field: null }), 1)).map(plain)).to.deep.equal([{ id: '7', name: 'x' }])
  })

  it('validates its options synchronously and never mutates them', () => {
    const base = { url: 'redis://127.0.0.1:1', stream: 's', group: 'g', count: 5 }
    expectLogSourceOptionChecks(redisStreamSource, base, [
      [{ ...base, stream: undefined }, 'options.stream'],
      [{ ...base, group: '' }, 'options.group'],
      [{ ...base, url: 'http://x' }, 'options.url'],
      [{ stream: 's', group: 'g' }, 'options.url'],
      [{ ...base, client: {} }, 'options.client'],
      [{ ...base, count: 0 }, 'options.count'],
      [{ ...base, blockMs: 1.5 }, 'options.blockMs'],
      [{ ...base, claimIdleMs: 0 }, 'options.claimIdleMs'],
      [{ ...base, startId: 'latest' }, 'options.startId'],
      [{ ...base, claimIdle: 5 }, 'options.claimIdle']
    ])
  })

  it('never reads far ahead of its consumer (backpressure)', async () => {
    await addRecords(redis.client, stream, Array.from({ length: 2000 }, (_, i) => ({ i })))
    const s = make({ count: 50 })
    s.read(0)
    await new Promise((resolve) => setTimeout(resolve, 300))
    const ahead = await pendingCount(redis.client, stream, 'g')
    expect(ahead).to.be.at.most(100)
    const got = await takeKeep(s, 2000)
    expect(got).to.have.length(2000)
  })

  it('takes over the entries a dead consumer left pending for claimIdleMs (XAUTOCLAIM)', async () => {
    await addRecords(redis.client, stream, Array.from({ length: 30 }, (_, i) => ({ i })))
    const dead = make({ count: 10 })
    const first = await takeKeep(dead, 10)
    first.slice(0, 4).forEach((r) => r[onDurable]!())
    await waitFor(async () => await pendingCount(redis.client, stream, 'g') <= 26)
    dead.destroy() // its 6 unacknowledged records (and whatever it had buffered) stay pending
    await closed(dead)
    const heir = make({ claimIdleMs: 200 })
    const got = await takeKeep(heir, 26)
    expect(new Set(got.map((r) => r.i))).to.have.property('size', 26)
    expect(heir.stats.redelivered).to.be.at.least(6)
    got.forEach((r) => r[onDurable]!())
    await waitFor(async () => await pendingCount(redis.client, stream, 'g') === 0)
  })

  it('does not take over its own records still on their way', async () => {
    await addRecords(redis.client, stream, [{ i: 1 }, { i: 2 }])
    const s = make({ claimIdleMs: 50 })
    const got = await takeKeep(s, 2)
    await new Promise((resolve) => setTimeout(resolve, 400))
    expect(s.readableLength).to.equal(0)
    expect(s.stats.redelivered).to.equal(0)
    got.forEach((r) => r[onDurable]!())
  })

  describe('an entry that is not a record', () => {
    beforeEach(async () => { await addRecords(redis.client, stream, [{ ok: 1 }, '{not json', '[1]', { ok: 2 }]) })

    it('fails the stream with ERR_SOURCE_PAYLOAD by default and leaves it unacknowledged', async () => {
      const s = make()
      const got: unknown[] = []
      s.on('data', (r) => got.push(r))
      const [err] = await once(s, 'error') as [SourcePayloadError]
      expect(err.code).to.equal('ERR_SOURCE_PAYLOAD')
      expect(err.id).to.match(/^\d+-\d+$/)
      expect(got).to.have.length(1)
      expect(await pendingCount(redis.client, stream, 'g')).to.be.at.least(3)
    })

    it('skips and acknowledges it with onInvalid: skip, announcing it', async () => {
      const s = make({ onInvalid: 'skip' })
      const invalid: string[] = []
      s.on('invalid', ({ error }: { error: SourcePayloadError }) => invalid.push(error.code))
      const got = await takeKeep(s, 2)
      expect(got.map((r) => r.ok)).to.deep.equal([1, 2])
      expect(invalid).to.deep.equal(['ERR_SOURCE_PAYLOAD', 'ERR_SOURCE_PAYLOAD'])
      got.forEach((r) => r[onDurable]!())
      await waitFor(async () => await pendingCount(redis.client, stream, 'g') === 0)
    })

    it('hands it to minuteWindow\'s dead-letter batch with onInvalid: dead-letter, acknowledged only once stored', async () => {
      const s = make({ onInvalid: 'dead-letter' })
      const got = await takeKeep(s, 4)
      const stand = got[1] as unknown as InvalidPayload
      expect(stand).to.be.instanceOf(InvalidPayload)
      expect(() => JSON.stringify(stand)).to.throw(/not a record/)
      expect(inspect(stand)).to.include('{not json')
      expect(await pendingCount(redis.client, stream, 'g')).to.equal(4)
      const batches = await drainBatches(arraySource(got).pipe(minuteWindow({ onInvalid: 'dead-letter' })))
      const dead = batches.find((b) => b.batch.partition === 'dead-letter')!
      expect(dead.text.split('\n').filter(Boolean).map((line) => JSON.parse(line).error.code)).to.deep.equal(['ERR_SERIALIZE', 'ERR_SERIALIZE'])
      expect(dead.text).to.include('{not json')
      got.forEach((r) => r[onDurable]!())
      await waitFor(async () => await pendingCount(redis.client, stream, 'g') === 0)
    })

    it('treats a throwing decode callback like an invalid payload', async () => {
      const s = make({ onInvalid: 'skip', decode: (text) => { if (text.includes('ok":2')) throw new Error('boom'); return JSON.parse(text) } })
      const errors: string[] = []
      s.on('invalid', ({ error }: { error: Error }) => errors.push(error.message))
      const got = await takeKeep(s, 1)
      expect(got.map((r) => r.ok)).to.deep.equal([1])
      await waitFor(() => errors.length === 2)
      expect(errors[1]).to.include('boom')
    })
  })

  it('stops reading when its signal is aborted, and closes once what was read is acknowledged', async () => {
    await addRecords(redis.client, stream, Array.from({ length: 10 }, (_, i) => ({ i })))
    const stop = new AbortController()
    const s = make({ signal: stop.signal, count: 5 })
    const first = await takeKeep(s, 3)
    stop.abort()
    const rest = await takeKeep(s, 100)
    expect(first.length + rest.length).to.be.within(3, 10)
    expect(s.readableEnded).to.equal(true)
    ;[...first, ...rest].forEach((r) => r[onDurable]!())
    await waitFor(async () => await pendingCount(redis.client, stream, 'g') === 0)
    await closed(s)
  })

  it('leaves no timer behind once closed, so a worker exits as soon as it is done', async () => {
    await addRecords(redis.client, stream, Array.from({ length: 10 }, (_, i) => ({ i })))
    const stop = new AbortController()
    const clock = trackingClock()
    const s = make({ signal: stop.signal, clock, claimIdleMs: 300 })
    const got = await takeKeep(s, 10)
    // A keep-alive of the records held has run.
    await new Promise((resolve) => setTimeout(resolve, 200))
    stop.abort()
    got.forEach((r) => r[onDurable]!())
    await takeKeep(s, 1)
    await s.close()
    expect(clock.live).to.equal(0)
  })

  it('destroyed mid-stream: closes, and what it did not acknowledge stays pending', async () => {
    await addRecords(redis.client, stream, Array.from({ length: 20 }, (_, i) => ({ i })))
    const s = make({ count: 5 })
    await takeKeep(s, 2)
    s.destroy()
    await closed(s)
    await s.close()
    expect(await pendingCount(redis.client, stream, 'g')).to.be.at.least(2)
  })

  it('fails with ERR_SOURCE_SERVER when the key is not a stream', async () => {
    await redis.client.set(stream, 'text')
    const s = make()
    s.resume()
    const [err] = await once(s, 'error') as [Error & { code: string }]
    expect(err.code).to.equal('ERR_SOURCE_SERVER')
  })

  it('renews the entries it holds through an outage: a renewal due while the server is away is sent once it is back', async () => {
    // The default claimIdleMs (2 minutes) counts on this: unrenewed for at most the outage plus claimIdleMs / 3.
    const durable = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always'])
    try {
      await addRecords(durable.client, 'st', [{ i: 1 }, { i: 2 }])
      const clock = manualClock(Date.now())
      const s = redisStreamSource({ url: durable.url, stream: 'st', group: 'g', blockMs: 50, clock })
      open.push(s)
      const held = await takeKeep(s, 2)
      const idleMs = async (): Promise<number[]> =>
        (await durable.client.call('XPENDING', 'st', 'g', '-', '+', 10) as Array<[string, string, number, number]>).map(([, , idle]) => idle)
      await new Promise((resolve) => setTimeout(resolve, 1200))
      await durable.crash()
      clock.advance(CLAIM_IDLE_MS / 3) // the renewal falls due with the server down
      await new Promise((resolve) => setTimeout(resolve, 300))
      await durable.restart()
      await waitFor(async () => /cmdstat_xclaim:calls=[1-9]/.test(await durable.client.info('commandstats')))
      const idle = await idleMs()
      expect(idle, 'renewed after the restart, not left idle since the read').to.have.length(2)
      for (const ms of idle) expect(ms).to.be.below(1000)
      expect(s.destroyed).to.equal(false)
      held.forEach((r) => r[onDurable]!())
      await waitFor(async () => await pendingCount(durable.client, 'st', 'g') === 0)
    } finally {
      await durable.close()
    }
  })

  it('rides out a server restart, then reads on', async () => {
    const durable = await startRedis(['--appendonly', 'yes', '--appendfsync', 'always'])
    try {
      await addRecords(durable.client, 'st', [{ i: 1 }])
      const s = redisStreamSource({ url: durable.url, stream: 'st', group: 'g', blockMs: 50 })
      open.push(s)
      const got = await takeKeep(s, 1)
      got[0]![onDurable]!()
      await waitFor(async () => await pendingCount(durable.client, 'st', 'g') === 0)
      await durable.crash()
      await new Promise((resolve) => setTimeout(resolve, 300))
      await durable.restart()
      await addRecords(durable.client, 'st', [{ i: 2 }])
      const more = await takeKeep(s, 1)
      expect(more.map((r) => r.i)).to.deep.equal([2])
    } finally {
      await durable.close()
    }
  })

  it('notices a connection gone silent (a cut network: no FIN, no RST) within blockMs + 10 s with default options: reconnects and reads on, or fails after reconnectTimeoutMs', async function () {
    this.timeout(60_000)
    const { noticedMs, failedMs, error } = await silentCut({
      port: redis.port,
      scheme: 'redis',
      source: (url, group, reconnectTimeoutMs) => {
        const s = redisStreamSource({ url, stream, group, ...(reconnectTimeoutMs === undefined ? {} : { reconnectTimeoutMs }) })
        open.push(s)
        return s
      },
      publish: async (records) => { await addRecords(redis.client, stream, records) },
      settled: async () => await pendingCount(redis.client, stream, 'heal') === 0,
      // The reader's XREADGROUP goes unanswered: its connection is closed and made again.
      noticeWithinMs: 20_000
    })
    expect(noticedMs, 'noticed after the 11 s of silence, not at once').to.be.above(9_000)
    expect(error, inspect(error)).to.include({ code: 'ERR_SOURCE_CONNECTION' })
    expect(failedMs, 'failed after 11 s + reconnectTimeoutMs').to.be.within(12_000, 40_000)
  })

  describe('a caller\'s client that fails the set-up at once (enableOfflineQueue: false)', () => {
    it('creates the group once the client is connected, then reads, with default options', async () => {
      // lazyConnect: the first command starts the connection and is refused while it is under way.
      const client = new Redis(redis.url, { enableOfflineQueue: false, lazyConnect: true })
      try {
        await addRecords(redis.client, stream, [run(1), run(2)])
        const s = redisStreamSource({ client, stream, group: 'g', blockMs: 50 })
        open.push(s)
        const errors: unknown[] = []
        s.on('error', (err) => errors.push(err))
        const records = await take(s, 2)
        expect(errors).to.deep.equal([])
        expect(records.map(plain)).to.deep.equal([run(1), run(2)].map(plain))
      } finally {
        client.disconnect()
      }
    })

    it('fails with ERR_SOURCE_CONNECTION once reconnectTimeoutMs has passed without a connection', async () => {
      const client = new Redis('redis://127.0.0.1:1', { enableOfflineQueue: false, lazyConnect: true, retryStrategy: () => 50 })
      client.on('error', () => {})
      try {
        const s = redisStreamSource({ client, stream: 'x', group: 'g', reconnectTimeoutMs: 300 })
        const started = Date.now()
        s.resume()
        const [err] = await once(s, 'error') as [Error & { code: string }]
        expect(err.code, inspect(err)).to.equal('ERR_SOURCE_CONNECTION')
        expect(Date.now() - started, 'not before reconnectTimeoutMs').to.be.at.least(250)
        await s.close()
      } finally {
        client.disconnect()
      }
    })
  })

  describe('a server it cannot use', () => {
    it('fails with ERR_SOURCE_AUTH on a wrong password, which it never prints', async () => {
      const locked = await startRedis(['--requirepass', 'right-secret'])
      try {
        const s = redisStreamSource({ url: `redis://:wrong-secret@127.0.0.1:${locked.port}`, stream: 'x', group: 'g' })
        s.resume()
        const [err] = await once(s, 'error') as [Error & { code: string }]
        expect(err.code).to.equal('ERR_SOURCE_AUTH')
        expect(inspect(err, { depth: 5, showHidden: true }) + inspect(s, { depth: 5 })).not.to.include('wrong-secret')
        await s.close()
      } finally {
        await locked.close()
      }
    })

    it('fails with ERR_SOURCE_SERVER when the peer does not speak Redis', async () => {
      const server: Server = createServer((socket) => { socket.end('SSH-2.0-OpenSSH_9.2\r\n') })
      await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
      try {
        const s = redisStreamSource({ url: `redis://127.0.0.1:${(server.address() as { port: number }).port}`, stream: 'x', group: 'g' })
        s.resume()
        const [err] = await once(s, 'error') as [Error & { code: string }]
        expect(err.code).to.equal('ERR_SOURCE_SERVER')
        await s.close()
      } finally {
        server.close()
      }
    })

    it('fails with ERR_SOURCE_CONNECTION when nothing answers for reconnectTimeoutMs', async () => {
      const s = redisStreamSource({ url: 'redis://127.0.0.1:1', stream: 'x', group: 'g', reconnectTimeoutMs: 300 })
      s.resume()
      const [err] = await once(s, 'error') as [Error & { code: string }]
      expect(err.code).to.equal('ERR_SOURCE_CONNECTION')
      await s.close()
    })
  })
})
