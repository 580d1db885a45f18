import { expect } from 'chai'
import type { PassThrough } from 'node:stream'
import fc from 'fast-check'
import { pipeline } from 'node:stream/promises'
import type { Batch } from '../../lib/batch.js'
import { onDurable } from '../../lib/durable.js'
import { InvalidOptionError, LateRecordError } from '../../lib/errors.js'
import { minuteWindow, type MinuteWindowStream } from '../../lib/stages/minute-window.js'
import { manualClock } from '../helpers/manual-clock.js'
import { bytesOf, closed, source } from '../helpers/streams.js'

const W = 60_000
const T0 = Date.UTC(2026, 10, 25, 14, 0)
interface Rec { i: number, t: unknown }
interface Got { batch: Batch, lines: Rec[] }

async function feed (records: Rec[], options: Parameters<typeof minuteWindow>[0] = {}): Promise<{ got: Got[], window: MinuteWindowStream }> {
  const clock = manualClock(T0)
  const window = minuteWindow({ clock, timeOf: (r) => (r as Rec).t as number, ...options })
  const got: Array<Promise<Got>> = []
  window.on('data', (batch: Batch) => got.push(bytesOf(batch.body).then((b) => ({ batch, lines: b.toString().split('\n').filter(Boolean).map((l) => JSON.parse(l) as Rec) }))))
  await pipeline(source(records), window)
  // Event-time windows never waited on a timer: the manual clock did not move.
  return { got: await Promise.all(got), window }
}

describe('minuteWindow({ timeOf })', () => {
  it('windows by event time, keys dated by it, closed when the watermark passes their end', async () => {
    const clock = manualClock(T0)
    const window = minuteWindow({ clock, timeOf: (r) => (r as Rec).t as number })
    const batches: Batch[] = []
    window.on('data', (b: Batch) => { batches.push(b); void bytesOf(b.body) })
    const write = async (r: Rec): Promise<void> => new Promise((resolve, reject) => window.write(r, (e) => e ? reject(e) : resolve()))
    await write({ i: 0, t: T0 - 5 * W + 1_000 })
    await write({ i: 1, t: T0 - 5 * W + 2_000 })
    expect(batches).to.have.length(1)
    expect(batches[0]!.windowStart).to.equal(T0 - 5 * W)
    expect(batches[0]!.openedAt).to.equal(T0 - 5 * W + 1_000)
    expect((batches[0]!.body as PassThrough).writableEnded).to.equal(false)
    await write({ i: 2, t: T0 - 4 * W }) // watermark reaches the first window's end
    expect((batches[0]!.body as PassThrough).writableEnded).to.equal(true)
    expect(batches[0]!.stats).to.deep.include({ records: 2, minTime: T0 - 5 * W + 1_000, maxTime: T0 - 5 * W + 2_000, windowClosed: true })
    window.end()
    await closed(window)
  })

  it('keeps several windows open within allowedLatenessMs; later records go to late/ and are counted', async () => {
    const records: Rec[] = [
      { i: 0, t: T0 + 10_000 }, { i: 1, t: T0 + 70_000 }, { i: 2, t: T0 + 20_000 }, // within lateness: joins window 0
      { i: 3, t: T0 + 200_000 }, { i: 4, t: T0 + 30_000 } // window 0 closed: late
    ]
    const { got, window } = await feed(records, { allowedLatenessMs: W })
    const byWindow = Object.fromEntries(got.map((g) => [g.batch.partition ?? String(g.batch.windowStart - T0), g.lines.map((l) => l.i)]))
    expect(byWindow).to.deep.equal({ 0: [0, 2], 60000: [1], 180000: [3], late: [4] })
    expect(window.late).to.equal(1)
    expect(window.watermark).to.equal(T0 + 200_000 - W)
    const late = got.find((g) => g.batch.partition === 'late')!
    expect(late.batch.stats).to.deep.include({ minTime: T0 + 30_000, maxTime: T0 + 30_000 })
  })

  it('onLate "drop" acknowledges and drops; "error" fails with ERR_LATE_RECORD', async () => {
    let acked = 0
    const records = [{ i: 0, t: T0 + 3 * W }, { i: 1, t: T0, [onDurable]: () => { acked++ } }]
    const { got, window } = await feed(records, { onLate: 'drop' })
    expect(got.flatMap((g) => g.lines.map((l) => l.i))).to.deep.equal([0])
    expect([acked, window.late]).to.deep.equal([1, 1])
    const err = await feed(records, { onLate: 'error' }).catch((e: unknown) => e)
    expect(err).to.be.instanceOf(LateRecordError).and.include({ code: 'ERR_LATE_RECORD', index: 1, time: T0, watermark: T0 + 3 * W })
  })

  it('an unusable event time is invalid: ERR_EVENT_TIME, or skipped / dead-lettered by onInvalid', async () => {
    const bad: Rec[] = [{ i: 0, t: -1 }, { i: 1, t: 'noon' }, { i: 2, t: Date.UTC(10000, 0, 1) }, { i: 3, t: T0 }]
    const err = await feed(bad).catch((e: unknown) => e)
    expect(err).to.include({ code: 'ERR_EVENT_TIME', index: 0 })
    const { got } = await feed(bad, { onInvalid: 'dead-letter' })
    const dead = got.find((g) => g.batch.partition === 'dead-letter')!
    expect((dead.lines as unknown as Array<{ index: number, error: { code: string } }>).map((l) => [l.index, l.error.code])).to.deep.equal([[0, 'ERR_EVENT_TIME'], [1, 'ERR_EVENT_TIME'], [2, 'ERR_EVENT_TIME']])
    const thrown = await feed([{ i: 0, t: 0 }], { timeOf: () => { throw new Error('no clock') }, onInvalid: 'skip' })
    expect(thrown.window.skipped).to.equal(1)
  })

  it('idle timeout closes a quiet window on processing time; off with closeOnTime: false', async () => {
    const clock = manualClock(T0)
    const window = minuteWindow({ clock, timeOf: (r) => (r as Rec).t as number, idleTimeoutMs: 5_000 })
    const batches: Batch[] = []
    window.on('data', (b: Batch) => { batches.push(b); void bytesOf(b.body) })
    await new Promise<void>((resolve) => window.write({ i: 0, t: T0 }, () => resolve()))
    clock.advance(3_000)
    await new Promise<void>((resolve) => window.write({ i: 1, t: T0 + 1 }, () => resolve()))
    clock.advance(3_000) // 6 s since open, 3 s since the last record: still open
    expect((batches[0]!.body as PassThrough).writableEnded).to.equal(false)
    clock.advance(2_000)
    expect((batches[0]!.body as PassThrough).writableEnded).to.equal(true)
    expect(clock.pending).to.equal(0)
    window.end()
    const still = minuteWindow({ clock, timeOf: (r) => (r as Rec).t as number, closeOnTime: false })
    still.on('data', (b: Batch) => { void bytesOf(b.body) })
    still.write({ i: 0, t: T0 })
    await new Promise((resolve) => setImmediate(resolve))
    expect(clock.pending).to.equal(0)
    still.destroy()
  })

  it('validates timeOf and its companions', () => {
    for (const [options, option] of [
      [{ timeOf: 1 }, 'options.timeOf'],
      [{ allowedLatenessMs: 5 }, 'options.allowedLatenessMs'],
      [{ onLate: 'drop' }, 'options.onLate'],
      [{ idleTimeoutMs: 5 }, 'options.idleTimeoutMs'],
      [{ timeOf: () => 0, allowedLatenessMs: -1 }, 'options.allowedLatenessMs'],
      [{ timeOf: () => 0, onLate: 'keep' }, 'options.onLate'],
      [{ timeOf: () => 0, idleTimeoutMs: 0 }, 'options.idleTimeoutMs']
    ] as const) {
      expect(() => minuteWindow(options as never)).to.throw(InvalidOptionError).with.property('option', option)
    }
  })

  describe('properties', () => {
    // Event times around T0: mostly in order with jitter, some far behind (late), some unusable.
    const time = fc.oneof(
      { arbitrary: fc.integer({ min: 0, max: 10 * W }), weight: 8 },
      { arbitrary: fc.constantFrom(-5, NaN, Date.UTC(10000, 0, 1), 'x'), weight: 1 }
    )
    const scenario = fc.record({
      offsets: fc.array(time, { minLength: 1, maxLength: 120 }),
      lateness: fc.constantFrom(0, 1_000, W, 3 * W),
      maxOpenPartitions: fc.constantFrom(1, 2, 16)
    })

    it('every record lands once: in the batch of its event-time window, or late exactly when its window had closed, or invalid', async () => {
      await fc.assert(fc.asyncProperty(scenario, async ({ offsets, lateness, maxOpenPartitions }) => {
        const records: Rec[] = offsets.map((o, i) => ({ i, t: typeof o === 'number' && Number.isFinite(o) && o >= 0 ? T0 + o : o }))
        const { got, window } = await feed(records, { allowedLatenessMs: lateness, maxOpenPartitions, onInvalid: 'skip' })
        // The model: a record is late when its window ended at or before (max time seen so far - lateness).
        let maxSeen = -Infinity
        const expectLate = new Set<number>()
        const invalid = new Set<number>()
        for (const r of records) {
          const t = r.t
          if (typeof t !== 'number' || !Number.isFinite(t) || t < 0 || t > Date.UTC(9999, 11, 31, 23, 59, 59, 999)) { invalid.add(r.i); continue }
          if (t - (t % W) + W <= maxSeen - lateness) expectLate.add(r.i)
          else maxSeen = Math.max(maxSeen, t)
        }
        const seen = new Map<number, Got>()
        for (const g of got) for (const l of g.lines) {
          expect(seen.has(l.i), `record ${l.i} twice`).to.equal(false)
          seen.set(l.i, g)
        }
        for (const r of records) {
          const g = seen.get(r.i)
          if (invalid.has(r.i)) { expect(g).to.equal(undefined); continue }
          expect(g, `record ${r.i} lost`).not.to.equal(undefined)
          if (expectLate.has(r.i)) expect(g!.batch.partition).to.equal('late')
          else {
            expect(g!.batch.partition).to.equal(undefined)
            expect(r.t as number).to.be.within(g!.batch.windowStart, g!.batch.windowEnd - 1)
            expect(r.t as number).to.be.within(g!.batch.stats.minTime!, g!.batch.stats.maxTime!)
          }
        }
        expect(window.late).to.equal(expectLate.size)
        expect(window.skipped).to.equal(invalid.size)
        expect(got.filter((g) => g.batch.partition === undefined).length).to.be.at.most(records.length)
      }), { numRuns: 150 })
    })

    it('shuffling within the allowed lateness changes nothing: same records per window', async () => {
      await fc.assert(fc.asyncProperty(fc.array(fc.integer({ min: 0, max: 10 * W }), { minLength: 1, maxLength: 80 }), fc.integer(), async (offsets, seed) => {
        const sorted = [...offsets].sort((a, b) => a - b).map((o, i) => ({ i, t: T0 + o }))
        const shuffled = [...sorted].sort((a, b) => ((a.i * 2654435761 + seed) % 97) - ((b.i * 2654435761 + seed) % 97))
        const group = (got: Got[]): Record<number, number[]> => {
          const out: Record<number, number[]> = {}
          for (const g of got) (out[g.batch.windowStart] ??= []).push(...g.lines.map((l) => l.i))
          for (const k of Object.keys(out)) out[Number(k)]!.sort((a, b) => a - b)
          return out
        }
        const a = await feed(sorted, { allowedLatenessMs: 11 * W, maxOpenPartitions: 16 })
        const b = await feed(shuffled, { allowedLatenessMs: 11 * W, maxOpenPartitions: 16 })
        expect(b.window.late).to.equal(0)
        expect(group(b.got)).to.deep.equal(group(a.got))
      }), { numRuns: 60 })
    })
  })
})
