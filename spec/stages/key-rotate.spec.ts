import { once } from 'node:events'
import { PassThrough, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import { expect } from 'chai'
import type { Batch } from '../../lib/batch.js'
import { createHash } from 'node:crypto'
import { BatchAcks } from '../../lib/batch-acks.js'
import { CallbackError, InvalidBatchError, InvalidOptionError, MissingPositionError } from '../../lib/errors.js'
import { gzip } from '../../lib/stages/gzip.js'
import { keyRotate, type KeyRotateOptions } from '../../lib/stages/key-rotate.js'
import { minuteWindow } from '../../lib/stages/minute-window.js'
import { manualClock } from '../helpers/manual-clock.js'
import { bytesOf, collect, run, slowSink, source, closed, backpressureThrough, handBatch } from '../helpers/streams.js'

const T0 = Date.UTC(2026, 10, 25, 14, 3, 7, 250)
const STAMP = '2026/11/25/14/2026-11-25-14-03-07-'
const HEX64 = /^[0-9a-f]{64}$/

function batchOf (fields: Partial<Batch> = {}): Batch {
  const body = new PassThrough()
  body.end('{"a":1}\n')
  return handBatch(body, { contentEncoding: 'gzip', stats: { records: 1, bytes: 8 }, ...fields })
}

async function keysOf (batches: Batch[], options?: KeyRotateOptions): Promise<string[]> {
  const out = await collect<Batch>(source(batches).pipe(keyRotate(options)))
  return out.map((b) => b.key!)
}

/** Splits a default key into what comes before the identifier, the identifier and the extension. */
function split (key: string): { head: string, id: string, ext: string } {
  const m = /^(.*-)([^-/]+?)(\.gz|\.ndjson)$/.exec(key)
  expect(m, key).not.to.equal(null)
  return { head: m![1]!, id: m![2]!, ext: m![3]! }
}

function rejects (options: unknown, option: string): void {
  expect(() => keyRotate(options as KeyRotateOptions)).to.throw(InvalidOptionError)
    .that.satisfies((err: InvalidOptionError) => err.code === 'ERR_INVALID_OPTION' && err.option === option)
}

/** The error a key() callback makes keyRotate() fail with, inside pipeline(). */
async function callbackFailure (key: KeyRotateOptions['key']): Promise<CallbackError> {
  const stage = keyRotate({ key })
  const errors: Error[] = []
  stage.on('error', (err: Error) => errors.push(err))
  let caught: unknown
  try { await pipeline(source([batchOf()]), stage, new Writable({ objectMode: true, write (_c, _e, cb) { cb() } })) } catch (err) { caught = err }
  expect(caught).to.be.instanceOf(CallbackError)
  expect(errors).to.deep.equal([caught])
  const err = caught as CallbackError
  expect(err.code).to.equal('ERR_CALLBACK')
  expect(err.option).to.equal('options.key')
  return err
}

describe('keyRotate()', () => {
  describe('default keys', () => {
    it('names a gzip batch YYYY/MM/DD/HH/YYYY-MM-DD-HH-MM-SS-<64 hex>.gz from openedAt, in UTC', async () => {
      const [key] = await keysOf([batchOf()])
      const { head, id, ext } = split(key!)
      expect(head).to.equal(STAMP)
      expect(id).to.match(HEX64)
      expect(ext).to.equal('.gz')
    })

    it('uses .ndjson when the batch is not gzipped', async () => {
      const [key] = await keysOf([batchOf({ contentEncoding: undefined })])
      expect(split(key!)).to.include({ head: STAMP, ext: '.ndjson' })
    })

    it('uses the time the batch opened, not the window start nor the current time', async () => {
      const [key] = await keysOf([batchOf({ openedAt: Date.UTC(2027, 0, 2, 3, 4, 5), windowStart: Date.UTC(2027, 0, 2, 3, 4, 0) })])
      expect(split(key!).head).to.equal('2027/01/02/03/2027-01-02-03-04-05-')
    })

    it('gives "logs", "logs/" and "logs//" the same keys, identifier aside', async () => {
      for (const prefix of ['logs', 'logs/', 'logs//']) {
        const [key] = await keysOf([batchOf()], { prefix })
        expect(split(key!).head).to.equal(`logs/${STAMP}`)
      }
    })

    it('starts keys at YYYY without a prefix, or with an empty one', async () => {
      for (const options of [undefined, {}, { prefix: '' }]) {
        const [key] = await keysOf([batchOf()], options)
        expect(key!.startsWith(STAMP)).to.equal(true)
      }
    })

    it('keeps nested prefixes', async () => {
      const [key] = await keysOf([batchOf()], { prefix: 'tenant-1/runs' })
      expect(split(key!).head).to.equal(`tenant-1/runs/${STAMP}`)
    })

    it('gives every batch its own key, even batches opened in the same second', async () => {
      const batches = Array.from({ length: 50 }, (_, seq) => batchOf({ seq }))
      const keys = await keysOf(batches)
      expect(new Set(keys).size).to.equal(50)
      for (const key of keys) expect(split(key).head).to.equal(STAMP)
    })

    it('sets only the key: other fields kept, stats and body by identity, the input batch untouched', async () => {
      const input = batchOf({ seq: 3 })
      const [out] = await collect<Batch>(source([input]).pipe(keyRotate()))
      expect(out).not.to.equal(input)
      expect(input.key).to.equal(undefined)
      expect(out!.body).to.equal(input.body)
      expect(out!.stats).to.equal(input.stats)
      const { key, ...rest } = out!
      expect(rest).to.deep.equal({ ...input })
      expect(key).to.be.a('string')
    })

    it('names the batches of minuteWindow() and gzip() after the clock', async () => {
      const clock = manualClock(T0)
      const records = Array.from({ length: 20 }, (_, i) => run(i))
      const batches = await collect<Batch>(source(records).pipe(minuteWindow({ clock })).pipe(gzip({ level: 1 })).pipe(keyRotate({ prefix: 'runs' })))
      expect(batches).to.have.length(1)
      expect(split(batches[0]!.key!)).to.include({ head: `runs/${STAMP}`, ext: '.gz' })
      const text = gunzipSync(await bytesOf(batches[0]!.body)).toString()
      expect(text.split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown)).to.deep.equal(records)
    })
  })

  describe('stableKeys', () => {
    const withFirst = (position: unknown, fields: Partial<Batch> = {}): Batch => {
      const acks = new BatchAcks()
      acks.add(undefined, position as string)
      return batchOf({ acks, ...fields })
    }

    it('names a batch by its partition and first position, dated by its window: the same start gives the same key', async () => {
      const out = await collect(source([withFirst('orders+3+1042'), withFirst('orders+3+1042', { seq: 9, openedAt: T0 + 30_000 }), withFirst('orders+3+1043'),
        withFirst(1042), withFirst('orders+3+1042', { partition: 'dead-letter' })]).pipe(keyRotate({ prefix: 'p', stableKeys: true }))) as Batch[]
      const keys = out.map((b) => b.key!)
      expect(keys[0]).to.match(/^p\/2026\/11\/25\/14\/2026-11-25-14-03-00-[0-9a-f]{64}\.gz$/)
      expect(keys[1]).to.equal(keys[0])
      expect(new Set(keys).size).to.equal(4) // another position, a number instead of a string, another partition
      expect(keys[4]).to.match(/^p\/dead-letter\/2026\//)
      expect(keys[0]!.slice(-67, -3)).to.equal(createHash('sha256').update(JSON.stringify([null, 'string', 'orders+3+1042'])).digest('hex'))
    })

    it('fails with ERR_NO_POSITION for a batch whose records carry no position', async () => {
      const err = await collect(source([batchOf()]).pipe(keyRotate({ stableKeys: true }))).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(MissingPositionError).and.include({ code: 'ERR_NO_POSITION' })
    })

    it('is validated as a boolean and refuses a key() callback beside it', () => {
      expect(() => keyRotate({ stableKeys: 'yes' as never })).to.throw(InvalidOptionError).that.includes({ option: 'options.stableKeys' })
      expect(() => keyRotate({ stableKeys: true, key: () => 'k' })).to.throw(InvalidOptionError).that.includes({ option: 'options.stableKeys' })
    })
  })

  describe('key() callback', () => {
    it('names each batch, given the batch and the normalized prefix', async () => {
      const calls: Array<[Batch, string]> = []
      const input = [batchOf({ seq: 0 }), batchOf({ seq: 1 })]
      const keys = await keysOf(input, {
        prefix: 'logs',
        key: (batch, prefix) => { calls.push([batch, prefix]); return `${prefix}batch-${batch.seq}.gz` }
      })
      expect(keys).to.deep.equal(['logs/batch-0.gz', 'logs/batch-1.gz'])
      expect(calls.map(([b]) => b)).to.deep.equal(input)
      expect(calls.map(([, p]) => p)).to.deep.equal(['logs/', 'logs/'])
    })

    it('gets "" as the prefix when there is none', async () => {
      let seen: string | undefined
      await keysOf([batchOf()], { key: (_b, prefix) => { seen = prefix; return 'k' } })
      expect(seen).to.equal('')
    })

    it('fails with ERR_CALLBACK when key() throws, with the thrown value as cause', async () => {
      const cause = new Error('no name')
      expect((await callbackFailure(() => { throw cause })).cause).to.equal(cause)
      expect((await callbackFailure(() => { throw 'nope' })).cause).to.equal('nope')  
    })

    it('fails with ERR_CALLBACK when key() returns an empty string or a non-string', async () => {
      await callbackFailure(() => '')
      await callbackFailure(() => 42 as unknown as string)
      await callbackFailure(() => undefined as unknown as string)
    })

    for (const bad of ['a/../b', '../x.gz', 'a/./b', '/abs/x.gz', 'a\u0000b', 'x\n.gz', 'k'.repeat(1025)]) {
      it(`fails with ERR_CALLBACK when key() returns ${JSON.stringify(bad.length > 20 ? `${bad.slice(0, 8)}... (${bad.length})` : bad)}`, async () => {
        const err = await callbackFailure(() => bad)
        expect(err.cause).to.be.instanceOf(InvalidOptionError)
      })
    }
  })

  describe('input checks', () => {
    for (const [label, value] of [['a record', run(0)], ['a Buffer', Buffer.from('x')], ['a batch-like object without a body', { kind: 'batch' }]] as const) {
      it(`fails with ERR_INVALID_BATCH on ${label}`, async () => {
        let caught: unknown
        try { await collect(source([value]).pipe(keyRotate())) } catch (err) { caught = err }
        expect(caught).to.be.instanceOf(InvalidBatchError)
        expect((caught as InvalidBatchError).code).to.equal('ERR_INVALID_BATCH')
      })
    }
  })

  describe('options', () => {
    it('rejects options that are not an object', () => {
      rejects(null, 'options')
      rejects('logs/', 'options')
    })

    it('rejects a prefix S3 tools would mishandle', () => {
      for (const prefix of ['/abs', '/', 'a/../b', '..', './logs', 'a\u0000b', 'logs\n', 'p'.repeat(1025)]) rejects({ prefix }, 'options.prefix')
    })

    it('rejects a non-string prefix', () => {
      for (const prefix of [5, null, ['logs']]) rejects({ prefix }, 'options.prefix')
    })

    it('rejects a key that is not a function', () => {
      rejects({ key: 'logs/{date}.gz' }, 'options.key')
      rejects({ key: null }, 'options.key')
    })

    it('does not mutate the options object', async () => {
      const key = (_b: Batch, prefix: string): string => `${prefix}k`
      const options = { prefix: 'logs', key }
      const stage = keyRotate(Object.freeze(options))
      expect(options).to.deep.equal({ prefix: 'logs', key })
      expect((await collect<Batch>(source([batchOf()]).pipe(stage)))[0]!.key).to.equal('logs/k')
      expect(options.prefix).to.equal('logs')
    })
  })

  describe('backpressure', () => {
    it('holds at most one batch when nobody reads, then passes every batch on in order', async () => {
      const stage = keyRotate({ prefix: 'logs' })
      const input = Array.from({ length: 8 }, (_, seq) => batchOf({ seq }))
      const { received, refused, ahead } = await backpressureThrough(stage, input)
      expect(ahead).to.be.at.most(2)
      expect(refused).to.be.above(1)
      expect(received.map((b) => b.seq)).to.deep.equal([0, 1, 2, 3, 4, 5, 6, 7])
      for (const b of received) expect(b.key!.startsWith(`logs/${STAMP}`)).to.equal(true)
    })
  })

  describe('destroy', () => {
    it('destroy(err) mid-stream: close fires, finish and end do not, the error is reported once', async () => {
      const stage = keyRotate()
      const seen = { errors: [] as Error[], close: 0, finish: 0, end: 0 }
      stage.on('error', (err: Error) => seen.errors.push(err))
      stage.on('close', () => seen.close++)
      stage.on('finish', () => seen.finish++)
      stage.on('end', () => seen.end++)
      stage.write(batchOf())
      stage.write(batchOf({ seq: 1 }))
      const boom = new Error('boom')
      stage.destroy(boom)
      await closed(stage)
      expect(seen).to.deep.equal({ errors: [boom], close: 1, finish: 0, end: 0 })
    })

    it('inside pipeline(): the pipeline rejects with the error and the feed is destroyed', async () => {
      const feed = new PassThrough({ objectMode: true })
      const stage = keyRotate()
      const errors: Error[] = []
      stage.on('error', (err: Error) => errors.push(err))
      feed.write(batchOf())
      const done = pipeline(feed, stage, slowSink(1))
      await once(stage, 'data')
      const boom = new Error('boom')
      stage.destroy(boom)
      let caught: unknown
      try { await done } catch (err) { caught = err }
      expect(caught).to.equal(boom)
      expect(errors).to.deep.equal([boom])
      expect(feed.destroyed).to.equal(true)
    })
  })
})
