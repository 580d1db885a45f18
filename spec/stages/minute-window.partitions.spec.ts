import { expect } from 'chai'
import type { PassThrough } from 'node:stream'
import type { Batch } from '../../lib/batch.js'
import { onDurable } from '../../lib/durable.js'
import { CallbackError, InvalidOptionError } from '../../lib/errors.js'
import { minuteWindow } from '../../lib/stages/minute-window.js'
import { manualClock } from '../helpers/manual-clock.js'
import { bytesOf, closed, run, slowSink, source, watch } from '../helpers/streams.js'
import { pipeline } from 'node:stream/promises'

interface Got { batch: Batch, lines: unknown[] }

async function feed (records: unknown[], options: Parameters<typeof minuteWindow>[0]): Promise<Got[]> {
  const window = minuteWindow({ clock: manualClock(), ...options })
  const got: Array<Promise<Got>> = []
  window.on('data', (batch: Batch) => got.push(bytesOf(batch.body).then((b) => ({ batch, lines: b.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as unknown) }))))
  await pipeline(source(records), window)
  return Promise.all(got)
}

describe('minuteWindow({ partitionBy })', () => {
  it('keeps one open batch per API of the Run feed; each batch carries its fields', async () => {
    const runs = Array.from({ length: 90 }, (_, i) => run(i))
    const got = await feed(runs, { partitionBy: ['apiInfo.name'] })
    expect(got.map((g) => g.batch.partition).sort()).to.deep.equal(['apiInfo.name=api0', 'apiInfo.name=api1', 'apiInfo.name=api2'])
    for (const { batch, lines } of got) {
      const api = batch.fields!['apiInfo.name']
      expect(lines).to.deep.equal(runs.filter((r) => (r.apiInfo as { name: string }).name === api))
      expect(batch.stats.windowClosed).to.equal(true)
    }
  })

  it('sanitizes values and sends missing fields to _missing', async () => {
    const got = await feed([{ a: 'x/y' }, { a: '..' }, {}, { a: null }], { partitionBy: ['a'] })
    expect(got.map((g) => g.batch.fields!.a).sort()).to.deep.equal(['%2E%2E', '_missing', 'x%2Fy'])
    expect(got.find((g) => g.batch.fields!.a === '_missing')!.lines).to.have.length(2)
  })

  it('a 10,000-value field stays under maxOpenPartitions: least recently written closed first, nothing lost', async function () {
    // About 3 s of CPU (over 10,000 batches): on two loaded cores that took over 20 s. It bounds no time.
    this.timeout(60_000)
    const records = Array.from({ length: 20_000 }, (_, i) => ({ id: i, key: `k${(i * 7919) % 10_000}` }))
    const window = minuteWindow({ clock: manualClock(), partitionBy: ['key'], maxOpenPartitions: 8 })
    const open = new Set<Batch>()
    let maxOpen = 0
    const lines: unknown[] = []
    const bodies: Array<Promise<void>> = []
    window.on('data', (batch: Batch) => {
      // Open: the window has not ended its body yet.
      for (const b of open) if ((b.body as PassThrough).writableEnded) open.delete(b)
      open.add(batch)
      maxOpen = Math.max(maxOpen, open.size)
      bodies.push(bytesOf(batch.body).then((b) => {
        for (const l of b.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l))
      }))
    })
    await pipeline(source(records), window)
    await Promise.all(bodies)
    expect(maxOpen).to.equal(8)
    expect(bodies.length).to.be.greaterThan(10_000)
    expect((lines as Array<{ id: number }>).map((l) => l.id).sort((a, b) => a - b)).to.deep.equal(records.map((r) => r.id))
  })

  it('keeps the LRU batch open while it is being written', async () => {
    // a and b alternate; c arrives once: with room for 2, c closes the least recently written.
    const got = await feed([{ k: 'a' }, { k: 'b' }, { k: 'a' }, { k: 'c' }, { k: 'a' }], { partitionBy: ['k'], maxOpenPartitions: 2 })
    expect(got.map((g) => `${g.batch.fields!.k}:${g.lines.length}`)).to.deep.equal(['a:3', 'b:1', 'c:1'])
  })

  it('a function can give the fields; one that throws or returns nothing fails with ERR_CALLBACK', async () => {
    const got = await feed([{ v: { n: 1 } }, { v: { n: 2 } }], { partitionBy: (r) => ({ n: (r as { v: { n: number } }).v.n }) })
    expect(got.map((g) => g.batch.partition)).to.deep.equal(['n=1', 'n=2'])
    for (const partitionBy of [() => { throw new Error('x') }, () => ({})]) {
      const err = await feed([{}], { partitionBy }).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(CallbackError).with.property('option', 'options.partitionBy')
    }
  })

  it('acknowledges each record once its partition\'s batch is acknowledged, not before', async () => {
    const acked: number[] = []
    const window = minuteWindow({ clock: manualClock(), partitionBy: ['k'] })
    const batches: Batch[] = []
    window.on('data', (b: Batch) => { batches.push(b); void bytesOf(b.body) })
    await pipeline(source([0, 1, 2].map((i) => ({ k: i % 2, i, [onDurable]: () => acked.push(i) }))), window)
    expect(acked).to.deep.equal([])
    batches.find((b) => b.fields!.k === '1')!.acks!.fire()
    expect(acked).to.deep.equal([1])
  })

  it('validates partitionBy and maxOpenPartitions, naming them', () => {
    for (const [options, option] of [
      [{ partitionBy: [] }, 'options.partitionBy'],
      [{ partitionBy: 'a' }, 'options.partitionBy'],
      [{ partitionBy: ['a', 'b c'] }, 'options.partitionBy[1]'],
      [{ partitionBy: ['__proto__'] }, 'options.partitionBy[0]'],
      [{ maxOpenPartitions: 0 }, 'options.maxOpenPartitions']
    ] as const) {
      expect(() => minuteWindow(options as never)).to.throw(InvalidOptionError).with.property('option', option)
    }
  })

  it('refuses byte input, which has no fields to read', async () => {
    const err = await pipeline(source([Buffer.from('{"a":1}\n')]), minuteWindow({ partitionBy: ['a'] }), slowSink(0)).catch((e: unknown) => e)
    expect(err).to.be.instanceOf(InvalidOptionError).with.property('option', 'options.partitionBy')
  })

  it('backpressure: a partition whose body is not read holds back writes', async () => {
    const window = minuteWindow({ clock: manualClock(), partitionBy: ['k'], chunkSize: 1024 })
    window.on('data', () => {})
    let accepted = 0
    while (window.write({ k: 'a', pad: 'x'.repeat(500) }) && accepted < 1000) accepted++
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(accepted).to.be.below(50)
    expect(window.writableNeedDrain).to.equal(true)
    window.destroy()
    await closed(window)
  })

  it('destroy mid-stream fails every open partition\'s body', async () => {
    const window = minuteWindow({ clock: manualClock(), partitionBy: ['k'] })
    const seen = watch(window)
    const batches: Batch[] = []
    window.on('data', (b: Batch) => batches.push(b))
    window.write({ k: 1 })
    window.write({ k: 2 })
    await new Promise((resolve) => setImmediate(resolve))
    window.destroy(new Error('boom'))
    await closed(window)
    expect(batches).to.have.length(2)
    expect(batches.every((b) => b.body.destroyed)).to.equal(true)
    expect(seen.errors.map((e) => e.message)).to.deep.equal(['boom'])
  })
})

describe('minuteWindow({ partitionBy }) into a sink with fewer upload slots than partitions', () => {
  it('while a batch waits to be taken, closes the least recently written partition every 250 ms', async () => {
    const clock = manualClock()
    const window = minuteWindow({ clock, partitionBy: ['k'] })
    // Nobody reads the window: its second batch waits in the readable buffer.
    for (const k of ['a', 'b', 'c']) window.write({ k })
    await new Promise((resolve) => setImmediate(resolve))
    const first = window.read() as Batch
    expect(first.fields).to.deep.equal({ k: 'a' })
    expect((first.body as PassThrough).writableEnded).to.equal(false)
    clock.advance(250)
    expect((first.body as PassThrough).writableEnded).to.equal(true)
    expect(first.stats.windowClosed).to.equal(true)
    window.destroy()
    await closed(window)
    expect(clock.pending).to.equal(0)
  })

  it('the default s3Writable concurrency takes more partitions than slots: open batches hold none', async () => {
    const { startS3rver } = await import('../helpers/s3rver.js')
    const { s3Writable } = await import('../../lib/sinks/s3-writable.js')
    const s3 = await startS3rver()
    try {
      await s3.createBucket('narrow')
      // 6 partitions, default concurrency 2.
      const records = Array.from({ length: 12 }, (_, i) => ({ i, k: `p${i % 6}` }))
      await pipeline(source(records), minuteWindow({ partitionBy: ['k'] }), s3Writable({ ...s3.config, bucket: 'narrow' }))
      const stored = (await s3.readRecords('narrow')) as Array<{ i: number }>
      expect(stored.map((r) => r.i).sort((a, b) => a - b)).to.deep.equal(records.map((r) => r.i))
    } finally {
      await s3.close()
    }
  })
})
