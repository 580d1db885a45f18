import { Readable } from 'node:stream'
import { expect } from 'chai'
import fc from 'fast-check'
import { gunzipSync } from 'node:zlib'
import { filterApis, gzip, minuteWindow, type Batch } from '../../lib/index.js'
import { manualClock } from '../helpers/manual-clock.js'
import { bytesOf } from '../helpers/streams.js'

const T0 = Date.UTC(2026, 10, 25, 14, 3, 7)

interface Delivered { batch: Batch, text: string, arrivals: number[] }

/**
 * Feeds `items` into a window stage, moving the fake clock by `delays[i]`
 * before item i and waiting until the stage has handled it; collects every
 * batch with its text and the arrival times of its items.
 */
async function run (items: Array<unknown>, delays: number[], options: Parameters<typeof minuteWindow>[0]): Promise<Delivered[]> {
  const clock = manualClock(T0)
  const window = minuteWindow({ ...options, clock })
  const delivered: Array<Promise<Delivered>> = []
  window.on('data', (batch: Batch) => {
    delivered.push(bytesOf(batch.body).then((body) => ({ batch, text: body.toString('utf8'), arrivals: [] })))
  })
  const ended = new Promise((resolve, reject) => { window.on('end', resolve).on('error', reject) })
  for (let i = 0; i < items.length; i++) {
    clock.advance(delays[i] ?? 0)
    await new Promise<void>((resolve, reject) => window.write(items[i], (err) => { if (err) reject(err); else resolve() }))
  }
  window.end()
  await ended
  expect(clock.pending, 'timers left behind').to.equal(0)
  return Promise.all(delivered)
}

// Any Unicode text too: a line's UTF-8 size is counted lazily near maxBytes (up to 3 bytes per UTF-16 unit, 4 per surrogate pair).
const record = fc.dictionary(fc.string({ maxLength: 8 }), fc.oneof(fc.string({ maxLength: 40 }), fc.string({ maxLength: 40, unit: 'binary' }), fc.integer(), fc.boolean(), fc.constant(null)), { maxKeys: 4 })
// Mostly back-to-back records, sometimes a pause, sometimes a gap across windows.
const delay = fc.oneof({ arbitrary: fc.constant(0), weight: 6 }, { arbitrary: fc.nat({ max: 5_000 }), weight: 3 }, { arbitrary: fc.nat({ max: 90_000 }), weight: 1 })
const feed = fc.array(fc.tuple(record, delay), { minLength: 10, maxLength: 80, size: 'medium' })

describe('minuteWindow() properties', function () {
  this.timeout(30_000)

  it('records in: batches concatenated equal the input; no batch exceeds maxBytes or maxRecords; each batch within its window', async () => {
    await fc.assert(fc.asyncProperty(feed, fc.integer({ min: 150, max: 1000 }), fc.option(fc.integer({ min: 1, max: 30 }), { nil: undefined }), fc.constantFrom(1000, 10_000, 60_000),
      async (pairs, smallest, maxRecords, windowMs) => {
        const items = pairs.map(([r]) => r)
        // Every record must fit (a larger one fails with ERR_WINDOW_OVERFLOW, specified elsewhere): escaped control characters make long lines.
        const maxBytes = Math.max(smallest, ...items.map((r) => Buffer.byteLength(JSON.stringify(r)) + 1))
        const delivered = await run(items, pairs.map(([, d]) => d), { maxBytes, maxRecords, windowMs, chunkSize: 64 })
        const lines = delivered.flatMap(({ text }) => text.split('\n').slice(0, -1))
        expect(lines).to.deep.equal(items.map((r) => JSON.stringify(r)))
        let time = T0
        const arrivals = pairs.map(([, d]) => (time += d))
        let at = 0
        for (const { batch, text } of delivered) {
          expect(text.length).to.be.greaterThan(0)
          expect(Buffer.byteLength(text)).to.be.at.most(maxBytes).and.equal(batch.stats.bytes)
          expect(batch.stats.records).to.be.at.most(maxRecords ?? Infinity)
          for (let i = at; i < at + batch.stats.records; i++) {
            expect(arrivals[i]).to.be.at.least(batch.windowStart).and.below(batch.windowEnd)
          }
          at += batch.stats.records
        }
      }), { numRuns: 60 })
  })

  it('bytes in, cut anywhere: the same lines come out, whole, within the limits', async () => {
    const chunked = fc.array(record, { minLength: 1, maxLength: 40 }).chain((records) => {
      const text = records.map((r) => JSON.stringify(r) + '\n').join('')
      return fc.tuple(fc.constant(text), fc.uniqueArray(fc.integer({ min: 1, max: Math.max(1, text.length - 1) }), { maxLength: 12 }), fc.array(delay, { minLength: 13, maxLength: 13 }))
    })
    await fc.assert(fc.asyncProperty(chunked, fc.integer({ min: 300, max: 3000 }), async ([text, cuts, delays], maxBytes) => {
      const buf = Buffer.from(text)
      const points = [0, ...cuts.filter((c) => c < buf.length).sort((a, b) => a - b), buf.length]
      const chunks = points.slice(1).map((end, i) => buf.subarray(points[i], end)).filter((c) => c.length > 0)
      const delivered = await run(chunks, delays, { maxBytes })
      expect(delivered.map(({ text: t }) => t).join('')).to.equal(text)
      for (const { text: t, batch } of delivered) {
        expect(t.endsWith('\n')).to.equal(true)
        expect(Buffer.byteLength(t)).to.be.at.most(maxBytes)
        expect(batch.stats.records).to.equal(t.split('\n').length - 1)
      }
    }), { numRuns: 60 })
  })

  it('filterApis → minuteWindow → gzip: the objects, gunzipped and concatenated, are the filtered input', async () => {
    const runRecord = fc.record({
      apiInfo: fc.record({ name: fc.constantFrom('a', 'b', 'c'), result: fc.record({ status: fc.constantFrom('completed', 'failed'), result: fc.string({ maxLength: 30 }) }) }),
      workspaceId: fc.string({ maxLength: 6 })
    })
    const runs = fc.array(fc.tuple(runRecord, delay), { minLength: 1, maxLength: 60, size: 'medium' })
    await fc.assert(fc.asyncProperty(runs, fc.subarray(['a', 'b', 'c'], { minLength: 1 }), fc.boolean(), fc.integer({ min: 150, max: 1000 }),
      async (pairs, apisToSend, skipOnFail, maxBytes) => {
        const clock = manualClock(T0)
        const filter = filterApis({ apisToSend, skipOnFail })
        const window = minuteWindow({ clock, maxBytes })
        const compressed = filter.pipe(window).pipe(gzip({ level: 1 }))
        const bodies: Array<Promise<{ batch: Batch, body: Buffer }>> = []
        compressed.on('data', (batch: Batch) => { bodies.push(bytesOf(batch.body).then((body) => ({ batch, body }))) })
        const ended = new Promise((resolve, reject) => { compressed.on('end', resolve).on('error', reject) })
        for (const [record, wait] of pairs) {
          clock.advance(wait)
          // Wait until the window stage has seen the record, so arrival times are the ones chosen.
          await new Promise<void>((resolve) => { filter.write(record, () => { setImmediate(resolve) }) })
        }
        filter.end()
        await ended
        const objects = await Promise.all(bodies)
        const expected = pairs.map(([r]) => r).filter((r) => apisToSend.includes(r.apiInfo.name) && !(skipOnFail && r.apiInfo.result.status === 'failed'))
        const text = objects.map(({ body }) => gunzipSync(body).toString()).join('')
        expect(text).to.equal(expected.map((r) => JSON.stringify(r) + '\n').join(''))
        for (const { batch, body } of objects) {
          expect(batch.stats.bytes).to.be.at.most(maxBytes).and.equal(gunzipSync(body).length)
        }
      }), { numRuns: 40 })
  })

  it('a quiet feed: every batch ends on time without another record', async () => {
    await fc.assert(fc.asyncProperty(fc.nat({ max: 59_999 }), async (offset) => {
      const clock = manualClock(T0 - (T0 % 60_000) + offset)
      const window = minuteWindow({ clock })
      window.write({ one: 1 })
      const batch = await new Promise<Batch>((resolve) => window.once('data', resolve))
      const text = bytesOf(batch.body)
      clock.advance(60_000 - offset)
      expect((await text).toString()).to.equal('{"one":1}\n')
      window.end()
      await new Promise((resolve) => Readable.prototype.resume.call(window).once('end', resolve))
    }), { numRuns: 20 })
  })
})
