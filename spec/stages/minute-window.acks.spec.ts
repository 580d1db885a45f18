import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import fc from 'fast-check'
import { onDurable } from '../../lib/durable.js'
import { sourcePosition } from '../../lib/source-position.js'
import type { Batch } from '../../lib/batch.js'
import { markLines } from '../../lib/internal/line-marks.js'
import { minuteWindow } from '../../lib/stages/minute-window.js'
import { serialize } from '../../lib/stages/serialize.js'
import { manualClock } from '../helpers/manual-clock.js'
import { bytesOf, drainBatches, source } from '../helpers/streams.js'

const T0 = Date.UTC(2026, 10, 25, 14, 3, 7)

/** Records `{ i }` that log their acknowledgement into `acked` and carry position `i`. */
function tracked (n: number, acked: number[]): Array<Record<string | symbol, unknown>> {
  return Array.from({ length: n }, (_, i) => ({ i, [onDurable]: () => acked.push(i), [sourcePosition]: i }))
}

/** Fires each batch's acks as a sink would once its object is stored; returns which records each batch acknowledged. */
function fireAll (out: Array<{ batch: Batch, text: string }>, acked: number[]): Array<{ text: string, acked: number[], first: unknown, last: unknown }> {
  return out.map(({ batch, text }) => {
    const from = acked.length
    expect(batch.acks!.fire()).to.equal(null)
    return { text, acked: acked.slice(from), first: batch.acks!.first, last: batch.acks!.last }
  })
}

const idsOf = (text: string): number[] => text.split('\n').filter((l) => l !== '').map((l) => (JSON.parse(l) as { i: number }).i)

describe('minuteWindow() acknowledgements', () => {
  it('puts each record\'s callback and position into the acks of the batch it lands in, and calls none of them itself', async () => {
    const acked: number[] = []
    const out = await drainBatches(source(tracked(10, acked)).pipe(minuteWindow({ clock: manualClock(T0), maxRecords: 4 })))
    expect(acked).to.deep.equal([])
    const batches = fireAll(out, acked)
    expect(batches.map((b) => b.acked)).to.deep.equal([[0, 1, 2, 3], [4, 5, 6, 7], [8, 9]])
    for (const b of batches) expect(idsOf(b.text)).to.deep.equal(b.acked)
    expect(batches.map((b) => [b.first, b.last])).to.deep.equal([[0, 3], [4, 7], [8, 9]])
  })

  it('fires a batch\'s acks once: a second fire() and a drop() afterwards do nothing', async () => {
    const acked: number[] = []
    const out = await drainBatches(source(tracked(3, acked)).pipe(minuteWindow({ clock: manualClock(T0) })))
    const batch = out[0]!.batch
    batch.acks!.fire()
    batch.acks!.fire()
    batch.acks!.drop()
    expect(acked).to.deep.equal([0, 1, 2])
  })

  it('never fires the acks of a batch destroyed with the window', async () => {
    const acked: number[] = []
    const window = minuteWindow({ clock: manualClock(T0) })
    const batches: Batch[] = []
    window.on('data', (batch: Batch) => batches.push(batch))
    for (const record of tracked(3, acked)) window.write(record)
    await new Promise((resolve) => setImmediate(resolve))
    window.destroy()
    expect(batches[0]!.acks!.state).to.equal('dropped')
    expect(batches[0]!.acks!.fire()).to.equal(null)
    expect(acked).to.deep.equal([])
  })

  it("acknowledges a record skipped as invalid at once, and a dead-lettered one with its dead-letter batch", async () => {
    const acked: string[] = []
    const rec = (name: string, extra: Record<string, unknown> = {}): Record<string | symbol, unknown> => ({ name, ...extra, [onDurable]: () => acked.push(name) })
    const skipping = minuteWindow({ clock: manualClock(T0), onInvalid: 'skip' })
    const skipped = await drainBatches(source([rec('a'), rec('bad', { n: 1n }), rec('b')]).pipe(skipping))
    expect(acked).to.deep.equal(['bad'])
    fireAll(skipped, [])
    expect(acked).to.deep.equal(['bad', 'a', 'b'])

    acked.length = 0
    const out = await drainBatches(source([rec('a'), rec('bad', { n: 1n }), rec('b')]).pipe(minuteWindow({ clock: manualClock(T0), onInvalid: 'dead-letter' })))
    expect(acked).to.deep.equal([])
    const dead = out.find(({ batch }) => batch.partition === 'dead-letter')!
    dead.batch.acks!.fire()
    expect(acked).to.deep.equal(['bad'])
  })

  it('fails with ERR_CALLBACK when a skipped record\'s callback throws, or when onDurable is not a function', async () => {
    const thrower = { n: 1n, [onDurable]: () => { throw new Error('ack failed') } }
    const err = await pipeline(source([thrower]), minuteWindow({ onInvalid: 'skip' }), async function * (batches) { for await (const _ of batches) yield _ }).catch((e: unknown) => e)
    expect(err).to.include({ code: 'ERR_CALLBACK', option: 'record[onDurable]' })
    expect((err as Error).cause).to.have.property('message', 'ack failed')
    const bad = await pipeline(source([{ a: 1, [onDurable]: 'yes' }]), minuteWindow(), async function * (batches) { for await (const _ of batches) yield _ }).catch((e: unknown) => e)
    expect(bad).to.include({ code: 'ERR_CALLBACK', option: 'record[onDurable]' })
    const position = await pipeline(source([{ a: 1, [sourcePosition]: {} }]), minuteWindow(), async function * (batches) { for await (const _ of batches) yield _ }).catch((e: unknown) => e)
    expect(position).to.include({ code: 'ERR_CALLBACK', option: 'record[sourcePosition]' })
  })

  describe('byte input', () => {
    it('serialize → minuteWindow: callbacks reach the batches their lines land in, across chunk and batch cuts', async () => {
      const acked: number[] = []
      const out = await drainBatches(source(tracked(50, acked))
        .pipe(serialize({ chunkSize: 40 }))
        .pipe(minuteWindow({ clock: manualClock(T0), maxRecords: 7 })))
      const batches = fireAll(out, acked)
      expect(batches.map((b) => b.acked.length)).to.deep.equal([7, 7, 7, 7, 7, 7, 7, 1])
      for (const b of batches) {
        expect(idsOf(b.text)).to.deep.equal(b.acked)
        expect([b.first, b.last]).to.deep.equal([b.acked[0], b.acked.at(-1)])
      }
      expect(acked).to.deep.equal(Array.from({ length: 50 }, (_, i) => i))
    })

    it('maps marks through lines carried across chunks, a last line without newline and a too-long line', async () => {
      const acked: string[] = []
      const mark = (end: number, name: string): { end: number, callback: () => void, position: string } => ({ end, callback: () => acked.push(name), position: name })
      // "{"a":1}\n{"b":2}\n" cut inside b; then a too-long line over two chunks; then c without its newline.
      const chunks = [
        markLines(Buffer.from('{"a":1}\n{"b"'), [mark(8, 'a')]),
        markLines(Buffer.from(':2}\n{"long":"xxxxxxxxxx'), [mark(4, 'b')]),
        markLines(Buffer.from('xxxxxxxxxxxx"}\n{"c":3}'), [mark(15, 'long'), mark(22, 'c')])
      ]
      const window = minuteWindow({ clock: manualClock(T0), maxBytes: 20, onInvalid: 'dead-letter' })
      const out = await drainBatches(Readable.from(chunks).pipe(window))
      const main = out.filter(({ batch }) => batch.partition === undefined)
      const dead = out.filter(({ batch }) => batch.partition === 'dead-letter')
      expect(main.map(({ text }) => text).join('')).to.equal('{"a":1}\n{"b":2}\n{"c":3}\n')
      for (const { batch } of main) batch.acks!.fire()
      expect(acked).to.deep.equal(['a', 'b', 'c'])
      expect(dead).to.have.length(1)
      dead[0]!.batch.acks!.fire()
      expect(acked).to.deep.equal(['a', 'b', 'c', 'long'])
    })

    it('acknowledges a too-long line\'s late marks at once under skip', async () => {
      const acked: string[] = []
      const chunks = [
        Buffer.from('{"long":"xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx'),
        markLines(Buffer.from('xxx"}\n{"c":3}\n'), [{ end: 6, callback: () => acked.push('long') }, { end: 14, callback: () => acked.push('c') }])
      ]
      const out = await drainBatches(Readable.from(chunks).pipe(minuteWindow({ clock: manualClock(T0), maxBytes: 20, onInvalid: 'skip' })))
      expect(acked).to.deep.equal(['long'])
      for (const { batch } of out) batch.acks!.fire()
      expect(acked).to.deep.equal(['long', 'c'])
    })
  })

  it('property: byte input cut anywhere, with too-long lines: every mark is acknowledged once, by the batch holding its line or by where its invalid line went', async () => {
    await fc.assert(fc.asyncProperty(
      fc.array(fc.string({ maxLength: 30 }), { minLength: 1, maxLength: 40 }),
      fc.array(fc.nat(), { maxLength: 12 }),
      fc.integer({ min: 1, max: 6 }),
      fc.integer({ min: 25, max: 120 }),
      fc.constantFrom('skip' as const, 'dead-letter' as const),
      async (texts, cutSeeds, maxRecords, maxBytes, onInvalid) => {
        const lines = texts.map((t, i) => JSON.stringify({ i, t }) + '\n')
        const whole = Buffer.from(lines.join(''))
        const ends: number[] = []
        let at = 0
        for (const line of lines) ends.push(at += Buffer.byteLength(line))
        const cuts = [...new Set(cutSeeds.map((c) => c % whole.length))].filter((c) => c > 0).sort((a, b) => a - b)
        const bounds = [0, ...cuts, whole.length]
        const acked = new Map<number, string>()
        let phase = 'window' // what acknowledges: the window itself, or the batch being fired
        const chunks = bounds.slice(0, -1).map((start, k) => {
          const end = bounds[k + 1]!
          const marks = ends.flatMap((lineEnd, i) => (lineEnd > start && lineEnd <= end
            ? [{ end: lineEnd - start, position: i, callback: () => { expect(acked.has(i), `record ${i} acknowledged twice`).to.equal(false); acked.set(i, phase) } }]
            : []))
          return markLines(Buffer.from(whole.subarray(start, end)), marks)
        })
        const batches: Batch[] = []
        const window = minuteWindow({ clock: manualClock(T0), maxRecords, maxBytes, onInvalid })
        window.on('data', (b: Batch) => batches.push(b))
        const bodies = new Map<Batch, Promise<Buffer>>()
        window.on('data', (b: Batch) => bodies.set(b, bytesOf(b.body)))
        await pipeline(Readable.from(chunks), window)
        expect(acked.size === 0 || [...acked.values()].every((v) => v === 'window')).to.equal(true)
        for (const batch of batches) {
          phase = `batch ${batch.seq}`
          batch.acks!.fire()
        }
        expect([...acked.keys()].sort((a, b) => a - b)).to.deep.equal(lines.map((_, i) => i))
        for (const batch of batches) {
          const text = (await bodies.get(batch)!).toString()
          if (batch.partition === 'dead-letter') continue
          for (const line of text.split('\n').filter((l) => l !== '')) {
            const { i } = JSON.parse(line) as { i: number }
            expect(acked.get(i), `record ${i} is in batch ${batch.seq}`).to.equal(`batch ${batch.seq}`)
          }
        }
        for (const [i, by] of acked) {
          const tooLong = Buffer.byteLength(lines[i]!) > maxBytes
          if (!tooLong) continue
          if (onInvalid === 'skip') expect(by, `skipped record ${i}`).to.equal('window')
          else expect(batches.find((b) => `batch ${b.seq}` === by)?.partition, `dead-lettered record ${i}`).to.equal('dead-letter')
        }
      }), { numRuns: 60 })
  })
})
