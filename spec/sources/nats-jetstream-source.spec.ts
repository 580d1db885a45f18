import { once } from 'node:events'
import { inspect } from 'node:util'
import { expect } from 'chai'
import { onDurable } from '../../lib/durable.js'
import type { SourcePayloadError } from '../../lib/errors.js'
import { natsJetStreamSource, type NatsJetStreamSource, type NatsJetStreamSourceOptions } from '../../lib/sources/nats-jetstream-source.js'
import { InvalidPayload } from '../../lib/sources/payload.js'
import { minuteWindow } from '../../lib/stages/minute-window.js'
import { startNats, type LocalNats } from '../helpers/nats-server.js'
import { startFreezeProxy } from '../helpers/freeze-proxy.js'
import { silentCut, takeKeep } from '../helpers/silent-cut.js'
import { expectLogSourceOptionChecks } from '../helpers/log-source-options.js'
import { trackingClock } from '../helpers/tracking-clock.js'
import { closed, drainBatches, run, source as arraySource } from '../helpers/streams.js'

const plain = (r: unknown): unknown => JSON.parse(JSON.stringify(r))
const pause = async (ms: number): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, ms)) }

async function waitFor (check: () => Promise<boolean> | boolean, ms = 8000): Promise<void> {
  const until = Date.now() + ms
  while (!(await check())) {
    if (Date.now() > until) throw new Error('condition not met in time')
    await pause(25)
  }
}

describe('natsJetStreamSource', function () {
  this.timeout(20_000)
  let nats: LocalNats
  let n = 0
  let stream: string
  const open: NatsJetStreamSource[] = []
  const make = (options: Partial<NatsJetStreamSourceOptions> = {}): NatsJetStreamSource => {
    const s = natsJetStreamSource({ url: nats.url, stream, durable: 'd', ...options })
    open.push(s)
    return s
  }
  const settled = async (durable = 'd'): Promise<boolean> => (await nats.outstanding(stream, durable)).ackPending === 0

  before(async () => { nats = await startNats() })
  after(async () => { await nats.close() })
  beforeEach(async () => {
    stream = `S${++n}`
    await nats.createStream(stream)
  })
  afterEach(async () => { await Promise.all(open.splice(0).map(async (s) => await s.close())) })

  it('pushes the records of the stream, each acknowledging its message through onDurable', async () => {
    const records = Array.from({ length: 250 }, (_, i) => run(i))
    await nats.publish(stream, records)
    const s = make()
    const got = await takeKeep(s, 250)
    expect(got.map(plain)).to.deep.equal(records)
    expect((await nats.outstanding(stream, 'd')).ackPending).to.equal(250)
    got.forEach((r) => { r[onDurable]!(); r[onDurable]!() })
    await waitFor(settled)
    expect(s.stats).to.include({ read: 250, acknowledged: 250, redelivered: 0 })
  })

  it('creates the durable consumer with deliverPolicy new when asked', async () => {
    await nats.publish(stream, [{ a: 1 }])
    const s = make({ deliverPolicy: 'new' })
    const reading = takeKeep(s, 1)
    await waitFor(async () => await nats.jsm.consumers.info(stream, 'd').then(() => true, () => false))
    await nats.publish(stream, [{ a: 2 }])
    expect((await reading).map(plain)).to.deep.equal([{ a: 2 }])
  })

  it('validates its options synchronously and never mutates them', () => {
    const base = { url: 'nats://127.0.0.1:1', stream: 'S', durable: 'd', batch: 5 }
    expectLogSourceOptionChecks(natsJetStreamSource, base, [
      [{ ...base, stream: undefined }, 'options.stream'],
      [{ ...base, durable: 'a.b' }, 'options.durable'],
      [{ ...base, url: 'redis://x:1' }, 'options.url'],
      [{ stream: 'S', durable: 'd' }, 'options.url'],
      [{ ...base, connection: {} }, 'options.connection'],
      [{ ...base, batch: 0 }, 'options.batch'],
      [{ ...base, expiresMs: 10 }, 'options.expiresMs'],
      [{ ...base, ackWaitMs: 'long' }, 'options.ackWaitMs'],
      [{ ...base, maxAckPending: 0 }, 'options.maxAckPending'],
      [{ ...base, deliverPolicy: 'last' }, 'options.deliverPolicy'],
      [{ ...base, ack_wait: 5 }, 'options.ack_wait']
    ])
  })

  it('never pulls far ahead of its consumer (backpressure)', async () => {
    await nats.publish(stream, Array.from({ length: 2000 }, (_, i) => ({ i })))
    const s = make({ batch: 50 })
    s.read(0)
    await pause(500)
    expect((await nats.outstanding(stream, 'd')).ackPending).to.be.within(1, 100)
    const got = await takeKeep(s, 2000)
    expect(got).to.have.length(2000)
  })

  it('redelivers a dead worker\'s records after ackWaitMs', async () => {
    await nats.publish(stream, Array.from({ length: 20 }, (_, i) => ({ i })))
    const dead = make({ ackWaitMs: 500, batch: 10 })
    const first = await takeKeep(dead, 10)
    first.slice(0, 4).forEach((r) => r[onDurable]!())
    dead.destroy()
    await closed(dead)
    await dead.close()
    const heir = make({ ackWaitMs: 500 })
    const got = await takeKeep(heir, 16)
    expect(new Set(got.map((r) => r.i)).size).to.equal(16)
    expect(heir.stats.redelivered).to.be.at.least(6)
    got.forEach((r) => r[onDurable]!())
    await waitFor(settled)
  })

  it('keeps records still on their way from being redelivered (in-progress acks)', async () => {
    await nats.publish(stream, [{ i: 1 }, { i: 2 }])
    const s = make({ ackWaitMs: 300 })
    const got = await takeKeep(s, 2)
    await pause(1200)
    expect((await nats.outstanding(stream, 'd')).redelivered).to.equal(0)
    expect(s.readableLength).to.equal(0)
    got.forEach((r) => r[onDurable]!())
    await waitFor(settled)
  })

  describe('a message that is not a record', () => {
    beforeEach(async () => { await nats.publish(stream, [{ ok: 1 }, '{not json', '[1]', { ok: 2 }]) })

    it('fails the stream with ERR_SOURCE_PAYLOAD by default and leaves it unacknowledged', async () => {
      const s = make()
      s.resume()
      const [err] = await once(s, 'error') as [SourcePayloadError]
      expect(err.code).to.equal('ERR_SOURCE_PAYLOAD')
      expect(err.id).to.equal('2')
    })

    it('skips and acknowledges it with onInvalid: skip, announcing it', async () => {
      const s = make({ onInvalid: 'skip' })
      const invalid: string[] = []
      s.on('invalid', ({ id }: { id: string }) => invalid.push(id))
      const got = await takeKeep(s, 2)
      expect(got.map((r) => r.ok)).to.deep.equal([1, 2])
      expect(invalid).to.deep.equal(['2', '3'])
      got.forEach((r) => r[onDurable]!())
      await waitFor(settled)
    })

    it('hands it to minuteWindow\'s dead-letter batch with onInvalid: dead-letter, acknowledged only once stored', async () => {
      const s = make({ onInvalid: 'dead-letter' })
      const got = await takeKeep(s, 4)
      expect(got[1]).to.be.instanceOf(InvalidPayload)
      expect(inspect(got[1])).to.include('{not json')
      const batches = await drainBatches(arraySource(got).pipe(minuteWindow({ onInvalid: 'dead-letter' })))
      expect(batches.find((b) => b.batch.partition === 'dead-letter')!.text).to.include('{not json')
      expect((await nats.outstanding(stream, 'd')).ackPending).to.equal(4)
      got.forEach((r) => r[onDurable]!())
      await waitFor(settled)
    })

    it('treats a throwing decode callback like an invalid payload', async () => {
      const s = make({ onInvalid: 'skip', decode: () => { throw new Error('boom') } })
      const errors: string[] = []
      s.on('invalid', ({ error }: { error: Error }) => errors.push(error.message))
      s.resume()
      await waitFor(() => errors.length === 4)
      expect(errors[0]).to.include('boom')
      await waitFor(settled)
    })
  })

  it('stops reading when its signal is aborted, and closes once what was read is acknowledged', async () => {
    await nats.publish(stream, Array.from({ length: 10 }, (_, i) => ({ i })))
    const stop = new AbortController()
    const s = make({ signal: stop.signal, batch: 5 })
    const first = await takeKeep(s, 3)
    stop.abort()
    const rest = await takeKeep(s, 100)
    expect(s.readableEnded).to.equal(true)
    ;[...first, ...rest].forEach((r) => r[onDurable]!())
    await waitFor(settled)
    await closed(s)
  })

  it('leaves no timer behind once closed, so a worker exits as soon as it is done', async () => {
    await nats.publish(stream, Array.from({ length: 10 }, (_, i) => ({ i })))
    const stop = new AbortController()
    const clock = trackingClock()
    const s = make({ signal: stop.signal, clock })
    const got = await takeKeep(s, 10)
    stop.abort()
    got.forEach((r) => r[onDurable]!())
    await takeKeep(s, 1)
    await s.close()
    expect(clock.live).to.equal(0)
  })

  it('destroyed mid-stream: closes, and what it did not acknowledge stays unacknowledged', async () => {
    await nats.publish(stream, Array.from({ length: 20 }, (_, i) => ({ i })))
    const s = make({ batch: 5 })
    await takeKeep(s, 2)
    s.destroy()
    await closed(s)
    await s.close()
    expect((await nats.outstanding(stream, 'd')).ackPending).to.be.at.least(2)
  })

  it('rides out a server restart, then reads on', async () => {
    await nats.publish(stream, [{ i: 1 }])
    const s = make({ reconnectTimeoutMs: 10_000 })
    const got = await takeKeep(s, 1)
    got[0]![onDurable]!()
    await waitFor(settled)
    await nats.crash()
    await pause(300)
    await nats.restart()
    await waitFor(async () => await nats.jsm.streams.info(stream).then(() => true, () => false))
    await nats.publish(stream, [{ i: 2 }])
    expect((await takeKeep(s, 1)).map((r) => r.i)).to.deep.equal([2])
  })

  it('notices a connection gone silent (a cut network: no FIN, no RST) within 15 s with default options: reconnects and reads on, or fails after reconnectTimeoutMs', async function () {
    this.timeout(60_000)
    const { noticedMs, failedMs, error } = await silentCut({
      port: nats.port,
      scheme: 'nats',
      source: (url, durable, reconnectTimeoutMs) => {
        const s = natsJetStreamSource({ url, stream, durable, ...(reconnectTimeoutMs === undefined ? {} : { reconnectTimeoutMs }) })
        open.push(s)
        return s
      },
      publish: async (records) => { await nats.publish(stream, records) },
      settled: async () => await settled('heal'),
      // Pings go unanswered: the connection is stale, closed and made again.
      noticeWithinMs: 25_000
    })
    expect(noticedMs, 'noticed after two unanswered pings, not at once').to.be.above(9_000)
    expect(error, inspect(error)).to.include({ code: 'ERR_SOURCE_CONNECTION' })
    expect(failedMs, 'failed after 10 to 15 s + reconnectTimeoutMs').to.be.within(11_000, 40_000)
  })

  it('a connection gone silent while it sets up its consumer, with default options: sends the set-up again once connected again, and reads', async function () {
    this.timeout(60_000)
    await nats.publish(stream, [{ i: 1 }])
    const cut = await startFreezeProxy(nats.port, (chunk) => chunk.includes('$JS.API'))
    try {
      const s = natsJetStreamSource({ url: cut.url('nats'), stream, durable: 'setup' })
      open.push(s)
      const got = takeKeep(s, 1)
      // Pings go unanswered, the client connects again: the network heals.
      await waitFor(() => cut.accepted > 1, 25_000)
      cut.thaw()
      expect((await got).map((r) => r.i)).to.deep.equal([1])
    } finally {
      await cut.close()
    }
  })

  it('a connection gone silent while it sets up its consumer, for reconnectTimeoutMs: fails with ERR_SOURCE_CONNECTION, not with the request\'s TimeoutError', async function () {
    this.timeout(60_000)
    // Silent at the first JetStream API request, after the connection is made.
    const cut = await startFreezeProxy(nats.port, (chunk) => chunk.includes('$JS.API'))
    try {
      const s = natsJetStreamSource({ url: cut.url('nats'), stream, durable: 'setup', reconnectTimeoutMs: 2000 })
      open.push(s)
      s.resume()
      const [err] = await once(s, 'error') as [Error & { code: string }]
      expect(err, inspect(err)).to.include({ code: 'ERR_SOURCE_CONNECTION' })
    } finally {
      await cut.close()
    }
  })

  describe('a server it cannot use', () => {
    it('fails with ERR_SOURCE_SERVER when the stream does not exist', async () => {
      const s = make({ stream: 'MISSING' })
      s.resume()
      const [err] = await once(s, 'error') as [Error & { code: string }]
      expect(err.code).to.equal('ERR_SOURCE_SERVER')
    })

    it('fails with ERR_SOURCE_AUTH on a wrong password, which it never prints', async () => {
      const locked = await startNats(['--user', 'u', '--pass', 'right-secret'])
      try {
        const s = natsJetStreamSource({ url: `nats://u:wrong-secret@127.0.0.1:${locked.port}`, stream: 'S', durable: 'd' })
        s.resume()
        const [err] = await once(s, 'error') as [Error & { code: string }]
        expect(err.code).to.equal('ERR_SOURCE_AUTH')
        expect(inspect(err, { depth: 5, showHidden: true }) + inspect(s, { depth: 5 })).not.to.include('wrong-secret')
        await s.close()
      } finally {
        await locked.close()
      }
    })

    it('fails with ERR_SOURCE_CONNECTION when nothing answers for reconnectTimeoutMs', async () => {
      const s = natsJetStreamSource({ url: 'nats://127.0.0.1:1', stream: 'S', durable: 'd', reconnectTimeoutMs: 500 })
      s.resume()
      const [err] = await once(s, 'error') as [Error & { code: string }]
      expect(err.code).to.equal('ERR_SOURCE_CONNECTION')
      await s.close()
    })
  })
})
