import { once } from 'node:events'
import { createHash, randomBytes } from 'node:crypto'
import { PassThrough, Writable, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import { expect } from 'chai'
import type { Batch } from '../../lib/batch.js'
import { BatchAbortedError, InvalidBatchError, InvalidOptionError } from '../../lib/errors.js'
import { gzip, type GzipOptions } from '../../lib/stages/gzip.js'
import { minuteWindow } from '../../lib/stages/minute-window.js'
import { manualClock } from '../helpers/manual-clock.js'
import { bytesOf, collect, run, source, watch, closed, backpressureThrough, handBatch } from '../helpers/streams.js'

const sha256 = (data: Buffer): string => createHash('sha256').update(data).digest('hex')

const T0 = Date.UTC(2026, 10, 25, 14, 3, 7, 250)
const W0 = Date.UTC(2026, 10, 25, 14, 3, 0)

/** A batch as minuteWindow() makes it, with `body` as given. */
const batchOf = handBatch

/** A batch whose body is `data`, already ended. */
function bytesBatch (data: string | Buffer, fields: Partial<Batch> = {}): Batch {
  const body = new PassThrough()
  body.end(data)
  return batchOf(body, fields)
}

/** Every batch `stage` emits with its gunzipped body. */
async function gunzipAll (batches: AsyncIterable<Batch>): Promise<Array<{ batch: Batch, data: Buffer }>> {
  const out: Array<Promise<{ batch: Batch, data: Buffer }>> = []
  for await (const batch of batches) out.push(bytesOf(batch.body).then((gz) => ({ batch, data: gunzipSync(gz) })))
  return Promise.all(out)
}

function rejects (options: unknown, option: string): void {
  expect(() => gzip(options as GzipOptions)).to.throw(InvalidOptionError)
    .that.satisfies((err: InvalidOptionError) => err.code === 'ERR_INVALID_OPTION' && err.option === option)
}

describe('gzip()', () => {
  describe('compression', () => {
    it('turns each batch body into its own gzip stream of the same bytes', async () => {
      const texts = ['{"a":1}\n{"a":2}\n', '{"b":"é😀"}\n']
      const input = texts.map((t, seq) => bytesBatch(t, { seq }))
      const out = await gunzipAll(source(input).pipe(gzip()))
      expect(out.map(({ data }) => data.toString('utf8'))).to.deep.equal(texts)
    })

    it('sets contentEncoding and keeps every other field, stats by identity; the input batch is untouched', async () => {
      const stats = { records: 2, bytes: 16 }
      const input = bytesBatch('{"a":1}\n{"a":2}\n', { stats, seq: 4, key: 'logs/x.gz', windowEnd: W0 + 10_000 })
      const inputBody = input.body
      const [batch] = await collect<Batch>(source([input]).pipe(gzip()))
      if (batch === undefined) throw new Error('no batch')
      expect(batch.contentEncoding).to.equal('gzip')
      expect(batch.stats).to.equal(stats)
      expect(batch.body).not.to.equal(inputBody)
      const { body, contentEncoding, ...rest } = batch
      const { body: _b, ...inputRest } = input
      expect(rest).to.deep.equal(inputRest)
      expect(input.body).to.equal(inputBody)
      expect(input.contentEncoding).to.equal(undefined)
      const gz = await bytesOf(body)
      expect([gz[0], gz[1]]).to.deep.equal([0x1f, 0x8b])
      expect(gunzipSync(gz).toString()).to.equal('{"a":1}\n{"a":2}\n')
    })

    it('compresses the batches of minuteWindow()', async () => {
      const clock = manualClock(T0)
      const records = Array.from({ length: 200 }, (_, i) => run(i))
      const out = await gunzipAll(source(records).pipe(minuteWindow({ clock })).pipe(gzip({ level: 1 })))
      expect(out).to.have.length(1)
      const text = out[0]!.data.toString('utf8')
      expect(text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown)).to.deep.equal(records)
      expect(out[0]!.batch.stats).to.deep.include({ records: 200, bytes: Buffer.byteLength(text) })
    })

    it('gives an empty body a valid, empty gzip stream', async () => {
      const [{ data } = { data: null }] = await gunzipAll(source([bytesBatch('')]).pipe(gzip()))
      expect(data).to.deep.equal(Buffer.alloc(0))
    })

    it('round-trips 1 MiB of incompressible bytes', async () => {
      const data = randomBytes(1 << 20)
      const [{ data: back } = { data: Buffer.alloc(0) }] = await gunzipAll(source([bytesBatch(data)]).pipe(gzip({ level: 1 })))
      expect(sha256(back)).to.equal(sha256(data))
    })

    it('applies the level option', async () => {
      const text = JSON.stringify(run(1)).repeat(200)
      const sizes: number[] = []
      for (const level of [0, 9]) {
        const [batch] = await collect<Batch>(source([bytesBatch(text)]).pipe(gzip({ level })))
        sizes.push((await bytesOf(batch!.body)).length)
      }
      expect(sizes[0]).to.be.above(text.length) // level 0 stores
      expect(sizes[1]).to.be.below(text.length / 10)
    })

    it('applies the chunkSize option to the compressed chunks of a single stream (threads: 1)', async () => {
      const [batch] = await collect<Batch>(source([bytesBatch(randomBytes(4096))]).pipe(gzip({ threads: 1, chunkSize: 64 })))
      const chunks = await collect<Buffer>(batch!.body)
      expect(chunks.length).to.be.above(4096 / 64)
      for (const c of chunks) expect(c.length).to.be.at.most(64)
    })
  })

  describe('input checks', () => {
    const notBatches: Array<[string, unknown]> = [
      ['a record', run(0)],
      ['a Buffer', Buffer.from('{"a":1}\n')],
      ['a string', 'text'],
      ['an object marked batch without a body', { kind: 'batch', windowStart: W0 }],
      ['a batch-like object with the wrong kind', { ...bytesBatch('x'), kind: 'Batch' }]
    ]
    for (const [label, value] of notBatches) {
      it(`fails with ERR_INVALID_BATCH on ${label}`, async () => {
        const stage = gzip()
        const seen = watch(stage)
        let caught: unknown
        try { await pipeline(source([value]), stage, new Writable({ objectMode: true, write (_c, _e, cb) { cb() } })) } catch (err) { caught = err }
        expect(caught).to.be.instanceOf(InvalidBatchError)
        expect((caught as InvalidBatchError).code).to.equal('ERR_INVALID_BATCH')
        expect(seen.errors).to.deep.equal([caught])
      })
    }

    it('fails with ERR_INVALID_BATCH on a batch that is already encoded', async () => {
      for (const contentEncoding of ['gzip', 'br']) {
        let caught: unknown
        try { await collect(source([bytesBatch('x', { contentEncoding })]).pipe(gzip())) } catch (err) { caught = err }
        expect(caught).to.be.instanceOf(InvalidBatchError)
        expect((caught as Error).message).to.include(contentEncoding)
      }
    })
  })

  describe('options', () => {
    it('rejects options that are not an object', () => {
      rejects(null, 'options')
      rejects(6, 'options')
    })

    it('rejects a level outside 0-9', () => {
      for (const level of [-1, 10, 1.5, '6', null, Number.NaN]) rejects({ level }, 'options.level')
    })

    it('accepts levels 0 and 9', () => {
      expect(() => gzip({ level: 0 })).not.to.throw()
      expect(() => gzip({ level: 9 })).not.to.throw()
    })

    it('rejects a chunkSize zlib cannot use', () => {
      for (const chunkSize of [0, 63, 2 ** 30 + 1, 64.5, '1024']) rejects({ chunkSize }, 'options.chunkSize')
    })

    it('does not mutate the options object', () => {
      const options = { level: 1, chunkSize: 1024 }
      gzip(Object.freeze(options))
      expect(options).to.deep.equal({ level: 1, chunkSize: 1024 })
    })
  })

  describe('backpressure', () => {
    it('holds at most one batch when nobody reads, then passes every batch on in order', async () => {
      const stage = gzip()
      const texts = Array.from({ length: 8 }, (_, i) => `{"seq":${i}}\n`)
      const input = texts.map((t, seq) => bytesBatch(t, { seq }))
      const { received, refused, ahead } = await backpressureThrough(stage, input)
      expect(ahead).to.be.at.most(2)
      expect(refused).to.be.above(1)
      expect(received.map((b) => b.seq)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7])
      const bodies = await Promise.all(received.map(async (b) => gunzipSync(await bytesOf(b.body)).toString()))
      expect(bodies).to.deep.equal(texts)
    })

    // One zlib stream holds little; parallel gzip (threads: 2) up to the block it fills and the two on the pool, 1 MiB each.
    for (const [threads, bound] of [[1, 1024 * 1024], [2, 4 * 1024 * 1024]] as const) {
    it(`stops the batch body when its compressed body is not read, with bounded buffering, then resumes (threads: ${threads})`, async () => {
      const raw = new PassThrough()
      const stage = gzip({ level: 1, threads })
      stage.write(batchOf(raw))
      const [batch] = await once(stage, 'data') as [Batch]
      const block = randomBytes(64 * 1024)
      let written = 0
      while (raw.write(block)) {
        written += block.length
        if (written > 8 * 1024 * 1024) break
        await new Promise(setImmediate)
      }
      await new Promise(setImmediate)
      // Nobody reads the compressed body: the raw body fills and pushes back.
      expect(raw.writableNeedDrain).to.equal(true)
      expect(written).to.be.below(bound)

      const compressed = bytesOf(batch.body)
      const sent: Buffer[] = []
      for (let i = 0; i < 24; i++) {
        const b = randomBytes(64 * 1024)
        sent.push(b)
        if (!raw.write(b)) await once(raw, 'drain')
      }
      raw.end()
      const data = gunzipSync(await compressed)
      expect(data.length).to.equal(written + 64 * 1024 + 24 * 64 * 1024)
      expect(sha256(data.subarray(data.length - 24 * 64 * 1024))).to.equal(sha256(Buffer.concat(sent)))
      stage.end()
    })
    }
  })

  describe('destroy', () => {
    it('destroy(err) mid-stream destroys the compressed bodies with that error; close fires, no finish or end, error once', async () => {
      const raw = new PassThrough()
      const stage = gzip()
      const seen = watch(stage)
      stage.write(batchOf(raw))
      const [batch] = await once(stage, 'data') as [Batch]
      raw.write('{"a":1}\n')
      const boom = new Error('boom')
      stage.destroy(boom)
      await Promise.all([closed(stage), closed(batch.body)])
      await new Promise(setImmediate)
      expect(seen).to.deep.equal({ errors: [boom], close: 1, finish: 0, end: 0 })
      expect(batch.body.errored).to.equal(boom)
      // The compressed body's pipeline takes the raw body down with it.
      expect(raw.destroyed).to.equal(true)
    })

    it('destroy() without an error aborts the bodies still compressing with ERR_BATCH_ABORTED', async () => {
      const raw = new PassThrough()
      const stage = gzip()
      const seen = watch(stage)
      stage.write(batchOf(raw))
      const [batch] = await once(stage, 'data') as [Batch]
      stage.destroy()
      await Promise.all([closed(stage), closed(batch.body)])
      expect(batch.body.errored).to.be.instanceOf(BatchAbortedError)
      expect((batch.body.errored as BatchAbortedError).code).to.equal('ERR_BATCH_ABORTED')
      expect(seen.errors).to.deep.equal([])
      expect(seen.close).to.equal(1)
    })

    it('leaves the bodies alone when the stage ended normally', async () => {
      const raw = new PassThrough()
      const stage = gzip()
      stage.end(batchOf(raw))
      const [batch] = await collect<Batch>(stage)
      await closed(stage)
      // The stage is gone, its batch body is still being written.
      expect(batch!.body.destroyed).to.equal(false)
      raw.end('{"late":true}\n')
      expect(gunzipSync(await bytesOf(batch!.body)).toString()).to.equal('{"late":true}\n')
    })

    it('fails the stage once when a batch body fails, and the compressed body with it', async () => {
      const raw = new PassThrough()
      const stage = gzip()
      const seen = watch(stage)
      stage.write(batchOf(raw))
      const [batch] = await once(stage, 'data') as [Batch]
      const bodyErrors: Error[] = []
      batch.body.on('error', (err: Error) => bodyErrors.push(err))
      const broken = new Error('window failed')
      raw.destroy(broken)
      await closed(stage)
      await new Promise(setImmediate)
      expect(seen.errors).to.deep.equal([broken])
      expect(bodyErrors).to.deep.equal([broken])
    })

    it('inside pipeline(): a failing consumer destroys the bodies still compressing', async () => {
      const raw = new PassThrough()
      const boom = new Error('upload failed')
      const bodies: Readable[] = []
      const sink = new Writable({
        objectMode: true,
        write (batch: Batch, _e, cb) { bodies.push(batch.body); cb(boom) }
      })
      // The feed stays open: the stage is still running when the consumer fails.
      const feed = new PassThrough({ objectMode: true })
      feed.write(batchOf(raw))
      let caught: unknown
      try { await pipeline(feed, gzip(), sink) } catch (err) { caught = err }
      expect(caught).to.equal(boom)
      await closed(bodies[0]!)
      expect(bodies[0]!.errored).to.equal(boom)
    })
  })
})
