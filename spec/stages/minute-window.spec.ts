import { once } from 'node:events'
import { PassThrough, Readable, type Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { minuteWindow, serialize, type Batch } from '../../lib/index.js'
import { manualClock } from '../helpers/manual-clock.js'
import { bytesOf, collect, drainBatches, run, source, closed } from '../helpers/streams.js'

const T0 = Date.UTC(2026, 10, 25, 14, 3, 7, 250)
const lines = (text: string): unknown[] => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l))

/**
 * Writes `records` one by one, moving the clock by `stepMs` before each and
 * waiting until the stage has handled each record (arrival time is when the
 * stage sees a record, not when it was queued).
 */
async function feed (window: Transform, records: unknown[], clock: ReturnType<typeof manualClock>, stepMs = 0): Promise<void> {
  for (const record of records) {
    clock.advance(stepMs)
    await new Promise<void>((resolve, reject) => window.write(record, (err) => { if (err) reject(err); else resolve() }))
  }
  window.end()
}

/** Consumes batches and their bodies, ignoring body errors (the stage reports them). */
async function * discard (batches: AsyncIterable<Batch>): AsyncGenerator<never> {
  for await (const batch of batches) batch.body.on('error', () => {}).resume()
}

describe('minuteWindow()', () => {
  describe('windows', () => {
    it('puts the records of one minute into one batch of NDJSON lines', async () => {
      const clock = manualClock(T0)
      const records = Array.from({ length: 50 }, (_, i) => run(i))
      const out = await drainBatches(source(records).pipe(minuteWindow({ clock })))
      expect(out).to.have.length(1)
      const [{ batch, text }] = out as [{ batch: Batch, text: string }]
      expect(lines(text)).to.deep.equal(records)
      expect(text.endsWith('\n')).to.equal(true)
      expect(text).not.to.include('\r')
      expect(batch.windowStart).to.equal(Date.UTC(2026, 10, 25, 14, 3, 0))
      expect(batch.windowEnd).to.equal(Date.UTC(2026, 10, 25, 14, 4, 0))
      expect(batch.openedAt).to.equal(T0)
      // Ended by the end of the feed, not by its size: the window is closed (manifests wait for it).
      expect(batch.stats).to.deep.equal({ records: 50, bytes: Buffer.byteLength(text), windowClosed: true })
      expect(batch.contentType).to.equal('application/x-ndjson')
      expect(batch.contentEncoding).to.equal(undefined)
    })

    it('starts a new batch when a record arrives after the window ended', async () => {
      const clock = manualClock(T0)
      const window = minuteWindow({ clock })
      const done = drainBatches(window)
      // 20 s between records: 14:03:27, :47, 14:04:07, :27 ...
      await feed(window, Array.from({ length: 6 }, (_, i) => ({ i })), clock, 20_000)
      const out = await done
      expect(out.map(({ batch }) => new Date(batch.windowStart).toISOString())).to.deep.equal([
        '2026-11-25T14:03:00.000Z', '2026-11-25T14:04:00.000Z', '2026-11-25T14:05:00.000Z'
      ])
      expect(out.map(({ text }) => lines(text))).to.deep.equal([[{ i: 0 }, { i: 1 }], [{ i: 2 }, { i: 3 }, { i: 4 }], [{ i: 5 }]])
      expect(out.map(({ batch }) => batch.seq)).to.deep.equal([0, 1, 2])
    })

    it('closes a window on time even when no further record arrives', async () => {
      const clock = manualClock(T0)
      const window = minuteWindow({ clock })
      window.write({ a: 1 })
      const [batch] = await once(window, 'data') as [Batch]
      const body = bytesOf(batch.body)
      await new Promise(setImmediate)
      expect(batch.body.readableEnded).to.equal(false)
      clock.advance(60_000 - 7_250 - 1)
      expect(clock.pending).to.equal(1)
      clock.advance(1)
      expect((await body).toString()).to.equal('{"a":1}\n')
      expect(clock.pending).to.equal(0)
      window.end()
      await once(window, 'end')
    })

    it('aligns windows to multiples of windowMs', async () => {
      const clock = manualClock(T0)
      const out = await drainBatches(source([{ x: 1 }]).pipe(minuteWindow({ clock, windowMs: 10_000 })))
      expect(out[0]?.batch.windowStart).to.equal(Date.UTC(2026, 10, 25, 14, 3, 0))
      expect(out[0]?.batch.windowEnd).to.equal(Date.UTC(2026, 10, 25, 14, 3, 10))
    })

    it('makes no batch for an empty feed', async () => {
      const clock = manualClock(T0)
      expect(await collect(source([]).pipe(minuteWindow({ clock })))).to.deep.equal([])
      expect(clock.pending).to.equal(0)
    })
  })

  describe('limits', () => {
    it('cuts a batch at maxRecords', async () => {
      const records = Array.from({ length: 10 }, (_, i) => ({ i }))
      const out = await drainBatches(source(records).pipe(minuteWindow({ clock: manualClock(T0), maxRecords: 3 })))
      expect(out.map(({ batch }) => batch.stats.records)).to.deep.equal([3, 3, 3, 1])
      expect(out.flatMap(({ text }) => lines(text))).to.deep.equal(records)
    })

    it('never lets a batch exceed maxBytes', async () => {
      const records = Array.from({ length: 200 }, (_, i) => ({ i, pad: 'x'.repeat(i % 37) }))
      const out = await drainBatches(source(records).pipe(minuteWindow({ clock: manualClock(T0), maxBytes: 300 })))
      expect(out.length).to.be.greaterThan(10)
      for (const { batch, text } of out) {
        expect(Buffer.byteLength(text)).to.be.at.most(300)
        expect(batch.stats.bytes).to.equal(Buffer.byteLength(text))
      }
      expect(out.flatMap(({ text }) => lines(text))).to.deep.equal(records)
    })

    it('fails with ERR_WINDOW_OVERFLOW when one record is larger than maxBytes', async () => {
      const records = [{ ok: 1 }, { big: 'y'.repeat(100) }]
      const window = minuteWindow({ clock: manualClock(T0), maxBytes: 50 })
      const err = await pipeline(source(records), window, discard).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_WINDOW_OVERFLOW', index: 1 })
    })
  })

  describe('byte input', () => {
    it('accepts the NDJSON bytes of serialize() and counts their records', async () => {
      const records = Array.from({ length: 500 }, (_, i) => run(i))
      const out = await drainBatches(source(records).pipe(serialize({ chunkSize: 1000 })).pipe(minuteWindow({ clock: manualClock(T0) })))
      expect(out).to.have.length(1)
      expect(lines(out[0]!.text)).to.deep.equal(records)
      expect(out[0]!.batch.stats.records).to.equal(500)
    })

    it('reassembles lines split across chunks and keeps a last line without newline', async () => {
      const chunks = ['{"a":1}\n{"b"', ':2}\n{"c":', '3}\n{"d":4}'].map((s) => Buffer.from(s))
      const out = await drainBatches(Readable.from(chunks).pipe(minuteWindow({ clock: manualClock(T0) })))
      expect(out.map(({ text }) => text).join('')).to.equal('{"a":1}\n{"b":2}\n{"c":3}\n{"d":4}\n')
      expect(out.reduce((n, { batch }) => n + batch.stats.records, 0)).to.equal(4)
    })

    it('splits a chunk at maxRecords and maxBytes on line boundaries', async () => {
      const text = Array.from({ length: 10 }, (_, i) => `{"i":${i}}`).join('\n') + '\n'
      const byRecords = await drainBatches(Readable.from([Buffer.from(text)]).pipe(minuteWindow({ clock: manualClock(T0), maxRecords: 4 })))
      expect(byRecords.map(({ batch }) => batch.stats.records)).to.deep.equal([4, 4, 2])
      expect(byRecords.map(({ text }) => text).join('')).to.equal(text)
      const byBytes = await drainBatches(Readable.from([Buffer.from(text)]).pipe(minuteWindow({ clock: manualClock(T0), maxBytes: 25 })))
      for (const { text: part } of byBytes) expect(part.length).to.be.at.most(25)
      expect(byBytes.map(({ text }) => text).join('')).to.equal(text)
    })
  })

  describe('options', () => {
    const bad: Array<[string, Record<string, unknown>]> = [
      ['options.windowMs', { windowMs: 0 }],
      ['options.windowMs', { windowMs: 1.5 }],
      ['options.windowMs', { windowMs: '60000' }],
      ['options.windowMs', { windowMs: 2 ** 31 }],
      ['options.maxBytes', { maxBytes: -1 }],
      ['options.maxRecords', { maxRecords: 0 }],
      ['options.chunkSize', { chunkSize: null }],
      ['options.stringify', { stringify: 'JSON' }],
      ['options.clock', { clock: 5 }],
      ['options.clock.setTimeout', { clock: { now: () => 0, clearTimeout: () => {} } }]
    ]
    for (const [option, options] of bad) {
      it(`rejects ${option} = ${JSON.stringify(options)}`, () => {
        expect(() => minuteWindow(options)).to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option })
      })
    }

    it('rejects a non-object', () => {
      expect(() => minuteWindow(7 as never)).to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option: 'options' })
    })

    it('does not mutate the options object', async () => {
      const options = Object.freeze({ windowMs: 1000, maxRecords: 2, clock: manualClock(T0) })
      await drainBatches(source([{ a: 1 }, { a: 2 }, { a: 3 }]).pipe(minuteWindow(options)))
      expect(options).to.deep.include({ windowMs: 1000, maxRecords: 2 })
    })

    it('accepts 0-free defaults and a custom stringify', async () => {
      const out = await drainBatches(source([{ a: 1 }]).pipe(minuteWindow({ clock: manualClock(T0), stringify: (r) => `<${JSON.stringify(r)}>` })))
      expect(out[0]?.text).to.equal('<{"a":1}>\n')
    })
  })

  describe('failures', () => {
    it('reports a record that cannot be serialized with its index', async () => {
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      const records = [{ a: 1 }, { b: 2n }, cyclic]
      const window = minuteWindow({ clock: manualClock(T0) })
      const err = await pipeline(source(records), window, discard).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_SERIALIZE', index: 1 })
    })

    it('reports a throwing stringify callback as ERR_SERIALIZE with its cause', async () => {
      const boom = new Error('boom')
      const window = minuteWindow({ clock: manualClock(T0), stringify: () => { throw boom } })
      const err = await pipeline(source([{ a: 1 }]), window, discard).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_SERIALIZE', index: 0, cause: boom })
    })

    it('on destroy: destroys the open body with the error, clears the timer, reports once', async () => {
      const clock = manualClock(T0)
      const window = minuteWindow({ clock })
      const errors: Error[] = []
      window.on('error', (e) => errors.push(e))
      window.write({ a: 1 })
      const [batch] = await once(window, 'data') as [Batch]
      const bodyError = once(batch.body, 'error').then(([e]) => e as Error)
      const boom = new Error('upstream failed')
      window.destroy(boom)
      await closed(window)
      expect(await bodyError).to.equal(boom)
      expect(batch.body.readableEnded).to.equal(false)
      expect(clock.pending).to.equal(0)
      expect(errors).to.deep.equal([boom])
    })

    it('on destroy without an error: the open body still fails rather than ending short', async () => {
      const window = minuteWindow({ clock: manualClock(T0) })
      window.write({ a: 1 })
      const [batch] = await once(window, 'data') as [Batch]
      const bodyError = once(batch.body, 'error').then(([e]) => e as { code: string })
      window.destroy()
      expect((await bodyError).code).to.equal('ERR_BATCH_ABORTED')
    })

    it('fails with the body error when the consumer destroys the open batch', async () => {
      const window = minuteWindow({ clock: manualClock(T0) })
      window.write({ a: 1 })
      const [batch] = await once(window, 'data') as [Batch]
      const cause = new Error('upload failed')
      batch.body.on('error', () => {})
      batch.body.destroy(cause)
      window.write({ a: 2 })
      window.end()
      const [err] = await once(window, 'error')
      expect(err).to.equal(cause)
    })
  })

  describe("onInvalid: 'skip'", () => {
    it('drops records that cannot be serialized or are too large, counts them and says which', async () => {
      const records = [{ a: 1 }, { b: 2n }, { big: 'y'.repeat(100) }, { c: 3 }]
      const window = minuteWindow({ clock: manualClock(T0), maxBytes: 50, onInvalid: 'skip' })
      const invalid: Array<{ index: number, error: { code: string }, record: unknown }> = []
      window.on('invalid', (event) => invalid.push(event))
      const out = await drainBatches(source(records).pipe(window))
      expect(out.flatMap(({ text }) => lines(text))).to.deep.equal([{ a: 1 }, { c: 3 }])
      expect(invalid.map(({ index, error }) => [index, error.code])).to.deep.equal([[1, 'ERR_SERIALIZE'], [2, 'ERR_WINDOW_OVERFLOW']])
      expect(invalid[1]!.record).to.equal(records[2])
      expect(window.skipped).to.equal(2)
    })

    it('drops too-long lines of byte input, whole or spread over chunks, without an empty batch', async () => {
      const long = `{"x":"${'z'.repeat(60)}"}`
      const chunks = [`${long}\n{"a":1}\n{"y":"${'q'.repeat(30)}`, `${'q'.repeat(40)}`, `"}\n{"b":2}\n`].map((t) => Buffer.from(t))
      const window = minuteWindow({ clock: manualClock(T0), maxBytes: 40, onInvalid: 'skip' })
      const indexes: number[] = []
      window.on('invalid', ({ index }: { index: number }) => indexes.push(index))
      const out = await drainBatches(Readable.from(chunks).pipe(window))
      expect(out.map(({ text }) => text).join('')).to.equal('{"a":1}\n{"b":2}\n')
      for (const { text } of out) expect(text.length).to.be.greaterThan(0)
      expect(indexes).to.deep.equal([0, 2])
    })

    it('a first line too long for any object makes no empty object, and fails by default', async () => {
      const text = Buffer.from(`{"x":"${'z'.repeat(60)}"}\n`)
      const skipped = await collect(Readable.from([text]).pipe(minuteWindow({ clock: manualClock(T0), maxBytes: 40, onInvalid: 'skip' })))
      expect(skipped).to.deep.equal([])
      const err = await pipeline(Readable.from([text]), minuteWindow({ clock: manualClock(T0), maxBytes: 40 }), discard).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_WINDOW_OVERFLOW', index: 0 })
    })

    it('treats a record that is not a JSON object as invalid', async () => {
      const window = minuteWindow({ clock: manualClock(T0), onInvalid: 'skip' })
      const invalid: Array<{ index: number, error: { code: string } }> = []
      window.on('invalid', (event) => invalid.push(event))
      const out = await drainBatches(source([{ a: 1 }, 5, 'text', [1], { b: 2 }]).pipe(window))
      expect(out.flatMap(({ text }) => lines(text))).to.deep.equal([{ a: 1 }, { b: 2 }])
      expect(invalid.map(({ index, error }) => [index, error.code])).to.deep.equal([[1, 'ERR_SERIALIZE'], [2, 'ERR_SERIALIZE'], [3, 'ERR_SERIALIZE']])
    })

    it('rejects an unknown policy', () => {
      expect(() => minuteWindow({ onInvalid: 'ignore' as never })).to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option: 'options.onInvalid' })
    })
  })

  describe("onInvalid: 'dead-letter'", () => {
    it('writes a line per invalid record into a dead-letter batch of the same window', async () => {
      const cyclic: Record<string, unknown> = { name: 'loop' }
      cyclic.self = cyclic
      const records = [{ a: 1 }, { b: 2n }, { big: 'y'.repeat(1100) }, cyclic, { c: 3 }]
      const window = minuteWindow({ clock: manualClock(T0), maxBytes: 1000, onInvalid: 'dead-letter' })
      const out = await drainBatches(source(records).pipe(window))
      const main = out.filter(({ batch }) => batch.partition === undefined)
      const dead = out.filter(({ batch }) => batch.partition === 'dead-letter')
      expect(main.flatMap(({ text }) => lines(text))).to.deep.equal([{ a: 1 }, { c: 3 }])
      // A dead-letter line is kept whole: the 1,200-byte one gets a batch of its own.
      expect(dead).to.have.length(3)
      for (const { batch } of dead) expect(batch.windowStart).to.equal(main[0]!.batch.windowStart)
      const entries = dead.flatMap(({ text }) => lines(text)) as Array<{ index: number, error: { code: string }, bytes?: number, head?: string, record?: string }>
      expect(entries.map(({ index, error }) => [index, error.code])).to.deep.equal([[1, 'ERR_SERIALIZE'], [2, 'ERR_WINDOW_OVERFLOW'], [3, 'ERR_SERIALIZE']])
      expect(entries[0]!.record).to.equal('{ b: 2n }')
      expect(entries[1]).to.include({ bytes: 1111 })
      expect(entries[1]!.head).to.equal(JSON.stringify(records[2]).slice(0, 1024))
      expect(entries[2]!.record).to.match(/<ref \*1> \{ name: 'loop', self: \[Circular \*1\] \}/)
      expect(window.skipped).to.equal(3)
    })

    it('dead-letters too-long lines of byte input with the start of the line', async () => {
      const long = `{"x":"${'z'.repeat(60)}"}`
      const window = minuteWindow({ clock: manualClock(T0), maxBytes: 40, onInvalid: 'dead-letter' })
      const out = await drainBatches(Readable.from([Buffer.from(`{"a":1}\n${long}\n{"b":2}\n`)]).pipe(window))
      const dead = out.find(({ batch }) => batch.partition === 'dead-letter')
      expect(lines(dead!.text)).to.deep.equal([{ index: 1, error: { code: 'ERR_WINDOW_OVERFLOW', message: 'record 1 is 69 bytes, above maxBytes (40): no object can hold it' }, bytes: 69, head: long + '\n' }])
      expect(out.filter(({ batch }) => batch.partition === undefined).map(({ text }) => text).join('')).to.equal('{"a":1}\n{"b":2}\n')
    })
  })

  describe('closeOnTime: false', () => {
    it('sets no timer and cuts batches only by maxRecords, maxBytes and the end of input, whatever the clock does', async () => {
      const clock = manualClock(T0)
      const window = minuteWindow({ clock, maxRecords: 3, closeOnTime: false })
      const batches: Batch[] = []
      window.on('data', (batch: Batch) => batches.push(batch))
      for (let i = 0; i < 4; i++) {
        window.write({ i })
        clock.advance(45_000) // crosses several window boundaries
      }
      expect(clock.pending).to.equal(0)
      window.end({ i: 4 })
      await once(window, 'end')
      const texts = await Promise.all(batches.map(async (b) => (await bytesOf(b.body)).toString()))
      expect(texts).to.deep.equal(['{"i":0}\n{"i":1}\n{"i":2}\n', '{"i":3}\n{"i":4}\n'])
    })

    it('is validated as a boolean', () => {
      expect(() => minuteWindow({ closeOnTime: 'no' as never })).to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option: 'options.closeOnTime' })
    })
  })

  describe('validateLines', () => {
    const input = '{"a":1}\n{"b":2}\nnot json\n{"c":3}\n{oops\n'

    it('fails on a line of byte input that is not JSON, with its index', async () => {
      const err = await pipeline(Readable.from([Buffer.from(input)]), minuteWindow({ clock: manualClock(T0), validateLines: true }), discard).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_LINE_PARSE', index: 2 })
    })

    it('skips or dead-letters such lines in order, and makes no empty batch', async () => {
      const skipped: number[] = []
      const window = minuteWindow({ clock: manualClock(T0), validateLines: true, onInvalid: 'dead-letter' })
      window.on('invalid', ({ index }: { index: number }) => skipped.push(index))
      const out = await drainBatches(Readable.from([Buffer.from(input)]).pipe(window))
      expect(out.filter(({ batch }) => batch.partition === undefined).map(({ text }) => text).join('')).to.equal('{"a":1}\n{"b":2}\n{"c":3}\n')
      expect(skipped).to.deep.equal([2, 4])
      const dead = out.filter(({ batch }) => batch.partition === 'dead-letter').flatMap(({ text }) => lines(text)) as Array<{ index: number, head: string, error: { code: string } }>
      expect(dead.map(({ index, head, error }) => [index, head, error.code])).to.deep.equal([[2, 'not json\n', 'ERR_LINE_PARSE'], [4, '{oops\n', 'ERR_LINE_PARSE']])
      const onlyBad = await collect(Readable.from([Buffer.from('nope\n')]).pipe(minuteWindow({ clock: manualClock(T0), validateLines: true, onInvalid: 'skip' })))
      expect(onlyBad).to.deep.equal([])
    })

    it('is off by default and validated as a boolean', async () => {
      const out = await drainBatches(Readable.from([Buffer.from('not json\n')]).pipe(minuteWindow({ clock: manualClock(T0) })))
      expect(out.map(({ text }) => text)).to.deep.equal(['not json\n'])
      expect(() => minuteWindow({ validateLines: 'yes' as never })).to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option: 'options.validateLines' })
    })
  })

  describe('backpressure', () => {
    it('holds writes while a slow consumer has not read the body, without buffering the feed', async () => {
      const clock = manualClock(T0)
      const window = minuteWindow({ clock, chunkSize: 1024 })
      const record = { pad: 'z'.repeat(200) }
      let accepted = 0
      let refused = false
      window.on('data', (batch: Batch) => batch.body.on('error', () => {})) // never read the bodies
      for (let i = 0; i < 1000; i++) {
        accepted++
        if (!window.write(record)) { refused = true; break }
      }
      expect(refused).to.equal(true)
      // A few chunks in the body and its transform, never the whole feed.
      expect(accepted).to.be.lessThan(100)
      window.destroy()
      await closed(window)
    })

    it('holds the write that queued a batch until that batch is read (one batch queued at most)', async () => {
      const clock = manualClock(T0)
      const window = minuteWindow({ clock, maxRecords: 1 })
      let acknowledged = 0
      for (let i = 0; i < 5; i++) window.write({ i }, () => { acknowledged++ })
      await new Promise((resolve) => setImmediate(resolve))
      // The first record filled a batch nobody took: it and those after it wait.
      expect(acknowledged).to.equal(0)
      expect(window.readableLength).to.equal(1)
      const taken: Batch[] = []
      for (let n = 1; n <= 5; n++) {
        taken.push(window.read() as Batch)
        await new Promise((resolve) => setImmediate(resolve))
        expect(acknowledged).to.equal(n)
      }
      expect(taken.map((b) => b.stats.records)).to.deep.equal([1, 1, 1, 1, 1])
      window.end()
      await new Promise((resolve) => setImmediate(resolve))
      expect(window.read()).to.equal(null)
    })

    it('delivers every record in order through a slow body reader', async () => {
      const clock = manualClock(T0)
      const records = Array.from({ length: 2000 }, (_, i) => ({ i, pad: 'p'.repeat(100) }))
      const window = minuteWindow({ clock, chunkSize: 4096 })
      const read = (async () => {
        const texts: string[] = []
        for await (const batch of window as AsyncIterable<Batch>) {
          const slow = new PassThrough({ highWaterMark: 1024 })
          batch.body.pipe(slow)
          for await (const chunk of slow) {
            texts.push(String(chunk))
            await new Promise((resolve) => setTimeout(resolve, 1))
          }
        }
        return texts.join('')
      })()
      await feed(window, records, clock)
      expect(lines(await read)).to.deep.equal(records)
    })
  })
})
