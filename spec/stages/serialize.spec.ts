import { once } from 'node:events'
import { Writable, type Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { onDurable } from '../../lib/durable.js'
import { InvalidOptionError, SerializationError } from '../../lib/errors.js'
import { serialize, type SerializeOptions } from '../../lib/stages/serialize.js'
import { collect, run, slowSink, source, closed } from '../helpers/streams.js'

const ndjson = (records: unknown[]): string => records.map((r) => JSON.stringify(r) + '\n').join('')
const parse = (text: string): unknown[] => text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown)

/** The chunks serialize() pushes, one by one (an async iterator would join buffered chunks). */
async function chunksOf (records: unknown[], options?: SerializeOptions): Promise<Buffer[]> {
  const chunks: Buffer[] = []
  await pipeline(source(records), serialize(options), new Writable({ write (chunk: Buffer, _e, cb) { chunks.push(chunk); cb() } }))
  return chunks
}

function rejects (options: unknown, option: string): void {
  expect(() => serialize(options as SerializeOptions)).to.throw(InvalidOptionError)
    .that.satisfies((err: InvalidOptionError) => err.code === 'ERR_INVALID_OPTION' && err.option === option)
}

/** The error `records` make serialize() fail with, inside pipeline(). */
async function failure (records: unknown[], options?: SerializeOptions): Promise<SerializationError> {
  const stage = serialize(options)
  const errors: Error[] = []
  stage.on('error', (err: Error) => errors.push(err))
  let caught: unknown
  try { await pipeline(source(records), stage, new Writable({ write (_c, _e, cb) { cb() } })) } catch (err) { caught = err }
  expect(caught).to.be.instanceOf(SerializationError)
  expect(errors).to.deep.equal([caught])
  const err = caught as SerializationError
  expect(err.code).to.equal('ERR_SERIALIZE')
  return err
}

/** Most bytes serialize() may buffer: the high-water mark, one chunk, and the lines of the queued writes. */
function bound (stage: Transform, chunkSize: number, records: unknown[]): number {
  const line = Math.max(...records.map((r) => Buffer.byteLength(JSON.stringify(r) + '\n')))
  return 2 * chunkSize + (stage.writableHighWaterMark + 2) * line
}

/** Tracks the global setImmediate handles made until restore(); install and restore synchronously. */
function trackImmediates (): { live: Set<unknown>, restore: () => void } {
  const realSet = globalThis.setImmediate
  const realClear = globalThis.clearImmediate
  const live = new Set<unknown>()
  globalThis.setImmediate = ((fn: (...args: unknown[]) => void, ...args: unknown[]) => {
    const handle = realSet(() => { live.delete(handle); fn(...args) })
    live.add(handle)
    return handle
  }) as typeof setImmediate
  globalThis.clearImmediate = ((handle: NodeJS.Immediate | undefined) => { live.delete(handle); realClear(handle) })
  return { live, restore () { globalThis.setImmediate = realSet; globalThis.clearImmediate = realClear } }
}

describe('serialize()', () => {
  describe('output', () => {
    it('writes one JSON line per record, ending in "\\n", never CRLF', async () => {
      const records = [{ a: 1 }, { b: 'x' }, { list: [1, 2] }, { n: null }]
      const text = Buffer.concat(await chunksOf(records)).toString('utf8')
      expect(text).to.equal('{"a":1}\n{"b":"x"}\n{"list":[1,2]}\n{"n":null}\n')
      expect(text).not.to.include('\r')
    })

    it('refuses records that are not JSON objects (a number, a string, an array) with their index', async () => {
      // (null never reaches a stage: object-mode streams refuse it themselves.)
      for (const stray of [3, 'text', [1, 2], true]) {
        const err = await failure([{ a: 1 }, stray])
        expect(err).to.include({ code: 'ERR_SERIALIZE', index: 1 })
        expect(err.message).to.include('must be a JSON object')
      }
      // A caller's stringify decides alone.
      const text = Buffer.concat(await chunksOf([3, 'x'], { stringify: (r) => JSON.stringify(r) })).toString()
      expect(text).to.equal('3\n"x"\n')
    })

    it('parses back equal to the input, newlines and non-ASCII text included', async () => {
      const records = [run(0), run(1, 'api1', true), { text: 'two\nlines\r\n', unicode: 'café 😀 \u2028 日本' }, { nested: { deep: [{ x: null }] } }]
      const chunks = await chunksOf(records)
      chunks.forEach((c) => expect(Buffer.isBuffer(c)).to.equal(true))
      const text = Buffer.concat(chunks).toString('utf8')
      expect(text).to.equal(ndjson(records))
      expect(text.split('\n')).to.have.length(records.length + 1)
      expect(parse(text)).to.deep.equal(records)
    })

    it('uses the stringify option', async () => {
      const text = Buffer.concat(await chunksOf([{ a: 1 }, { a: 2 }], { stringify: (r) => `<${(r as { a: number }).a}>` })).toString()
      expect(text).to.equal('<1>\n<2>\n')
    })

    it('accepts format: "ndjson"', async () => {
      expect(Buffer.concat(await chunksOf([{ a: 1 }], { format: 'ndjson' })).toString()).to.equal('{"a":1}\n')
    })

    it('emits nothing for an empty feed', async () => {
      expect(await chunksOf([])).to.deep.equal([])
    })
  })

  describe('chunking', () => {
    it('coalesces 1,000 small records into far fewer chunks', async () => {
      const records = Array.from({ length: 1000 }, (_, i) => ({ i }))
      const chunks = await chunksOf(records)
      expect(chunks.length).to.be.below(20)
      expect(Buffer.concat(chunks).toString()).to.equal(ndjson(records))
    })

    it('keeps each chunk to about chunkSize plus one line, holding whole lines only', async () => {
      const records = Array.from({ length: 1000 }, (_, i) => ({ i, s: 'é'.repeat(i % 40) }))
      const longest = Math.max(...records.map((r) => Buffer.byteLength(JSON.stringify(r) + '\n')))
      const chunks = await chunksOf(records, { chunkSize: 256 })
      // The threshold counts characters: 'é' is two bytes, so allow twice chunkSize.
      const bound = 2 * 256 + longest
      expect(chunks.length).to.be.at.least(Math.ceil(Buffer.byteLength(ndjson(records)) / bound))
      for (const chunk of chunks) {
        expect(chunk.length).to.be.at.most(bound)
        expect(chunk[chunk.length - 1]).to.equal(0x0a)
        // A whole number of lines: each chunk decodes and parses on its own.
        expect(() => parse(chunk.toString('utf8'))).not.to.throw()
      }
      expect(parse(Buffer.concat(chunks).toString())).to.deep.equal(records)
    })

    it('gives a quiet feed its bytes without end()', async () => {
      const stage = serialize()
      stage.write({ a: 1 })
      stage.write({ a: 2 })
      const [chunk] = await once(stage, 'data') as [Buffer]
      expect(chunk.toString()).to.equal('{"a":1}\n{"a":2}\n')
      expect(stage.writableEnded).to.equal(false)
      stage.write({ a: 3 })
      const [next] = await once(stage, 'data') as [Buffer]
      expect(next.toString()).to.equal('{"a":3}\n')
      stage.end()
      await once(stage, 'finish')
    })

    it('pushes a quiet feed\'s last bytes once a slow consumer catches up', async () => {
      const stage = serialize({ chunkSize: 64 })
      const line = (i: number): string => JSON.stringify({ i, pad: 'x'.repeat(20) }) + '\n' // 37 bytes
      // Two idle flushes fill the 64-byte buffer; nobody reads.
      for (let i = 0; i < 2; i++) { stage.write({ i, pad: 'x'.repeat(20) }); await new Promise(setImmediate) }
      expect(stage.readableLength).to.equal(2 * 37)
      stage.write({ i: 2, pad: 'x'.repeat(20) })
      await new Promise(setImmediate)
      await new Promise(setImmediate)
      expect(stage.readableLength).to.equal(2 * 37) // held back, not pushed past the high-water mark
      let text = ''
      stage.on('data', (c: Buffer) => { text += c.toString() })
      while (!text.endsWith(line(2))) await new Promise(setImmediate)
      expect(text).to.equal([0, 1, 2].map(line).join(''))
      expect(stage.writableEnded).to.equal(false)
      stage.destroy()
    })
  })

  describe('unserializable records', () => {
    it('fails with ERR_SERIALIZE and the index of a BigInt record', async () => {
      const err = await failure([{ a: 1 }, { b: 2 }, { token: 'hunter2', n: 1n }, { c: 3 }])
      expect(err.index).to.equal(2)
      expect(err.cause).to.be.instanceOf(TypeError)
      expect(err.message).to.match(/^record 2 /)
      expect(err.message).not.to.include('hunter2')
    })

    it('fails with ERR_SERIALIZE and the index of a record with a cycle', async () => {
      const cyclic: Record<string, unknown> = { name: 'loop' }
      cyclic.self = cyclic
      expect((await failure([cyclic])).index).to.equal(0)
    })

    it('fails with ERR_SERIALIZE for records JSON has no text for (undefined, a function, a symbol)', async () => {
      expect((await failure([{ a: 1 }, undefined])).index).to.equal(1)
      expect((await failure([{ a: 1 }, { b: 2 }, { c: 3 }, () => 1])).index).to.equal(3)
      expect((await failure([Symbol('s')])).index).to.equal(0)
    })

    it('fails with ERR_SERIALIZE when stringify throws, with the thrown value as cause', async () => {
      const cause = new Error('no')
      const err = await failure([1, 2], { stringify: (r) => { if (r === 2) throw cause; return String(r) } })
      expect(err.index).to.equal(1)
      expect(err.cause).to.equal(cause)
    })

    it('fails with ERR_SERIALIZE when stringify returns a non-string', async () => {
      const err = await failure([1, 2], { stringify: (r) => (r === 1 ? '1' : r) as string })
      expect(err.index).to.equal(1)
      expect(err.message).to.include('not a string')
      expect((await failure([1], { stringify: () => undefined as unknown as string })).index).to.equal(0)
    })

    it('fails with ERR_SERIALIZE when stringify returns text containing a newline', async () => {
      expect((await failure([1, 2, 3], { stringify: (r) => (r === 3 ? 'a\nb' : 'x') })).index).to.equal(2)
      expect((await failure([1], { stringify: () => '{"a":1}\n' })).index).to.equal(0)
    })

    it('fails with ERR_SERIALIZE when stringify returns no text: a blank line would hold no record, yet the record counted as stored', async () => {
      for (const text of ['', ' ', '\t \r']) {
        const err = await failure([1, 2], { stringify: (r) => (r === 2 ? text : '1') })
        expect(err.index, JSON.stringify(text)).to.equal(1)
        expect(err.message).to.include('no text')
      }
    })
  })

  describe('options', () => {
    it('rejects options that are not an object', () => {
      rejects(null, 'options')
      rejects('ndjson', 'options')
    })

    it('rejects an unknown format', () => {
      rejects({ format: 'csv' }, 'options.format')
      rejects({ format: 'NDJSON' }, 'options.format')
      rejects({ format: null }, 'options.format')
    })

    it('rejects a non-function stringify', () => {
      rejects({ stringify: 'JSON.stringify' }, 'options.stringify')
      rejects({ stringify: null }, 'options.stringify')
    })

    it('rejects a chunkSize that is not a positive integer', () => {
      for (const chunkSize of [0, -1, 1.5, '64', Number.NaN, Infinity]) rejects({ chunkSize }, 'options.chunkSize')
    })

    it('does not mutate the options object', async () => {
      const options = { format: 'ndjson' as const, chunkSize: 128, stringify: (r: unknown) => JSON.stringify(r) }
      const before = { ...options }
      const stage = serialize(Object.freeze(options))
      expect(options).to.deep.equal(before)
      expect(Buffer.concat(await collect<Buffer>(source([{ a: 1 }]).pipe(stage))).toString()).to.equal('{"a":1}\n')
      expect(options).to.deep.equal(before)
    })
  })

  describe('backpressure', () => {
    it('returns false from write() against a slow consumer, buffers a bounded amount, and delivers everything in order', async () => {
      const chunkSize = 1024
      const stage = serialize({ chunkSize })
      const sink = slowSink<Buffer>(2, { objectMode: false, highWaterMark: 1 })
      const done = pipeline(stage, sink)
      const records = Array.from({ length: 800 }, (_, i) => ({ i, pad: 'x'.repeat(40) }))
      let falses = 0
      let drains = 0
      let maxBuffered = 0
      stage.on('drain', () => drains++)
      for (const record of records) {
        if (!stage.write(record)) { falses++; await once(stage, 'drain') }
        maxBuffered = Math.max(maxBuffered, stage.readableLength)
      }
      stage.end()
      await done
      expect(falses).to.be.above(0)
      expect(drains).to.equal(falses)
      expect(maxBuffered).to.be.at.most(bound(stage, chunkSize, records))
      expect(parse(Buffer.concat(sink.received).toString())).to.deep.equal(records)
    })

    it('still pushes back when records trickle in one per event-loop turn', async () => {
      // Each record is flushed on its own turn, so no write ever pushes a full
      // chunk: only the idle flush can fill the buffer, and it must not overfill it.
      const chunkSize = 1024
      const stage = serialize({ chunkSize })
      const sink = slowSink<Buffer>(5, { objectMode: false, highWaterMark: 1 })
      const done = pipeline(stage, sink)
      const records = Array.from({ length: 300 }, (_, i) => ({ i, pad: 'x'.repeat(40) }))
      let falses = 0
      let maxBuffered = 0
      for (const record of records) {
        if (!stage.write(record)) { falses++; await once(stage, 'drain') }
        await new Promise(setImmediate)
        maxBuffered = Math.max(maxBuffered, stage.readableLength)
      }
      stage.end()
      await done
      expect(falses).to.be.above(0)
      // A full buffer, plus one chunk, plus what the queued writes add: a constant,
      // whatever the length of the run (the unbounded version reached 25x chunkSize).
      expect(maxBuffered).to.be.at.most(bound(stage, chunkSize, records))
      expect(parse(Buffer.concat(sink.received).toString())).to.deep.equal(records)
    })
  })

  describe('destroy', () => {
    it('destroy(err) mid-stream: cancels the pending flush, close fires, no finish, end or data, error reported once', async () => {
      const stage = serialize()
      const seen = { errors: [] as Error[], close: 0, finish: 0, end: 0, data: 0 }
      stage.on('error', (err: Error) => seen.errors.push(err))
      stage.on('close', () => seen.close++)
      stage.on('finish', () => seen.finish++)
      stage.on('end', () => seen.end++)
      const boom = new Error('boom')
      const immediates = trackImmediates()
      try {
        stage.write({ a: 1 })
        expect(immediates.live.size).to.equal(1) // the idle flush
        stage.destroy(boom)
        expect(immediates.live.size).to.equal(0)
      } finally {
        immediates.restore()
      }
      stage.on('data', () => seen.data++)
      await closed(stage)
      await new Promise(setImmediate)
      expect(seen).to.deep.equal({ errors: [boom], close: 1, finish: 0, end: 0, data: 0 })
    })

    it('inside pipeline(): the pipeline rejects with the error once and the source is destroyed', async () => {
      const src = source((function * () { for (let i = 0; ; i++) yield run(i) })())
      const stage = serialize({ chunkSize: 256 })
      const errors: Error[] = []
      stage.on('error', (err: Error) => errors.push(err))
      const done = pipeline(src, stage, slowSink(1, { objectMode: false }))
      await once(stage, 'data')
      const boom = new Error('boom')
      stage.destroy(boom)
      let caught: unknown
      try { await done } catch (err) { caught = err }
      expect(caught).to.equal(boom)
      expect(errors).to.deep.equal([boom])
      expect(src.destroyed).to.equal(true)
    })
  })

  describe('acknowledgements (onDurable)', () => {
    it('calls no callback itself, and acknowledges a skipped record at once', async () => {
      const acked: string[] = []
      const records = [{ a: 1 }, { b: 2n }, { c: 3 }].map((r, i) => Object.assign(r, { [onDurable]: () => acked.push(`r${i}`) }))
      const out = await collect(source(records).pipe(serialize({ onInvalid: 'skip' })))
      expect(Buffer.concat(out as Buffer[]).toString()).to.equal('{"a":1}\n{"c":3}\n')
      expect(acked).to.deep.equal(['r1'])
    })

    it('fails with ERR_CALLBACK when a skipped record\'s callback throws or onDurable is not a function', async () => {
      const thrower = { b: 2n, [onDurable]: () => { throw new Error('nack') } }
      const err = await collect(source([thrower]).pipe(serialize({ onInvalid: 'skip' }))).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_CALLBACK', option: 'record[onDurable]' })
      const bad = await collect(source([{ a: 1, [onDurable]: 42 }]).pipe(serialize({ onInvalid: 'skip' }))).catch((e: unknown) => e)
      expect(bad).to.include({ code: 'ERR_CALLBACK', option: 'record[onDurable]' })
    })
  })

  describe("onInvalid: 'skip'", () => {
    it('drops records that cannot be serialized and announces each with its index', async () => {
      const invalid: Array<{ index: number, error: { code: string } }> = []
      const records = [{ a: 1 }, { b: 2n }, undefined, { c: 3 }]
      const out = serialize({ onInvalid: 'skip' })
      out.on('invalid', (event) => invalid.push(event))
      const chunks: Buffer[] = []
      out.on('data', (chunk: Buffer) => chunks.push(chunk))
      for (const r of records) out.write(r)
      out.end()
      await new Promise((resolve) => out.on('end', resolve))
      expect(Buffer.concat(chunks).toString()).to.equal('{"a":1}\n{"c":3}\n')
      expect(invalid.map(({ index, error }) => [index, error.code])).to.deep.equal([[1, 'ERR_SERIALIZE'], [2, 'ERR_SERIALIZE']])
    })

    it('rejects an unknown policy', () => {
      expect(() => serialize({ onInvalid: 'drop' as never })).to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option: 'options.onInvalid' })
    })
  })
})
