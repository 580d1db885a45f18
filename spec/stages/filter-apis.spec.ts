import { once } from 'node:events'
import type { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { onDurable } from '../../lib/durable.js'
import { CallbackError, InvalidOptionError } from '../../lib/errors.js'
import { filterApis, type FilterApisOptions } from '../../lib/stages/filter-apis.js'
import { collect, run, slowSink, source, watch, closed } from '../helpers/streams.js'

interface Drop { record: unknown, reason: 'api' | 'failed' }

/** Runs `records` through `filter`; what came out and every 'drop' event. */
async function through (filter: Transform, records: unknown[]): Promise<{ kept: unknown[], drops: Drop[] }> {
  const drops: Drop[] = []
  filter.on('drop', (d: Drop) => drops.push(d))
  const kept = await collect(source(records).pipe(filter))
  return { kept, drops }
}

function rejects (options: unknown, option: string): void {
  expect(() => filterApis(options as FilterApisOptions)).to.throw(InvalidOptionError)
    .that.satisfies((err: InvalidOptionError) => err.code === 'ERR_INVALID_OPTION' && err.option === option)
}

// Records whose API name cannot be read.
const nameless: unknown[] = [
  { workspaceId: 'ws' },
  { apiInfo: null },
  { apiInfo: { name: null } },
  { apiInfo: { name: 42 } },
  { apiInfo: { name: ['api1'] } },
  7,
  'api1'
]

describe('filterApis()', () => {
  describe('filtering', () => {
    it('keeps every record by default, failed and nameless ones included, in order and unchanged', async () => {
      const records = [run(0), run(1, 'api1', true), ...nameless, run(2)]
      const { kept, drops } = await through(filterApis(), records)
      expect(kept).to.have.length(records.length)
      kept.forEach((r, i) => expect(r).to.equal(records[i]))
      expect(drops).to.deep.equal([])
    })

    it('keeps only the APIs named in apisToSend', async () => {
      const records = Array.from({ length: 12 }, (_, i) => run(i)) // api0, api1, api2, api0, ...
      const { kept, drops } = await through(filterApis({ apisToSend: ['api2', 'api0'] }), records)
      expect(kept).to.deep.equal(records.filter((_, i) => i % 3 !== 1))
      expect(drops.map((d) => d.reason)).to.deep.equal(['api', 'api', 'api', 'api'])
      expect(drops.map((d) => d.record)).to.deep.equal(records.filter((_, i) => i % 3 === 1))
    })

    it('matches API names exactly (case and whitespace count)', async () => {
      const records = [run(0, 'Search'), run(1, 'search '), run(2, 'search')]
      const { kept } = await through(filterApis({ apisToSend: ['search'] }), records)
      expect(kept).to.deep.equal([records[2]])
    })

    it('keeps failed runs by default and with skipOnFail: false', async () => {
      const records = [run(0, 'a', true), run(1, 'a', false)]
      expect((await through(filterApis(), records)).kept).to.deep.equal(records)
      expect((await through(filterApis({ skipOnFail: false }), records)).kept).to.deep.equal(records)
    })

    it('drops failed runs with skipOnFail: true, with reason "failed"', async () => {
      const records = [run(0, 'a', true), run(1, 'a'), run(2, 'a', true), run(3, 'a')]
      const { kept, drops } = await through(filterApis({ skipOnFail: true }), records)
      expect(kept).to.deep.equal([records[1], records[3]])
      expect(drops).to.have.length(2)
      expect(drops[0]?.record).to.equal(records[0])
      expect(drops.map((d) => d.reason)).to.deep.equal(['failed', 'failed'])
    })

    it('treats only status "failed" as a failed run', async () => {
      const records = [
        { apiInfo: { name: 'a', result: { status: 'FAILED' } } },
        { apiInfo: { name: 'a', result: { status: 'error' } } },
        { apiInfo: { name: 'a', result: null } },
        { apiInfo: { name: 'a' } },
        { apiInfo: { name: 'a', result: { status: 'failed' } } }
      ]
      const { kept } = await through(filterApis({ skipOnFail: true }), records)
      expect(kept).to.deep.equal(records.slice(0, 4))
    })

    it('drops records whose API name cannot be read when apisToSend is given', async () => {
      const { kept, drops } = await through(filterApis({ apisToSend: ['api1', '42'] }), nameless)
      expect(kept).to.deep.equal([])
      expect(drops.map((d) => d.reason)).to.deep.equal(nameless.map(() => 'api'))
      expect(drops.map((d) => d.record)).to.deep.equal(nameless)
    })

    it('keeps records whose API name cannot be read when apisToSend is absent, even with skipOnFail', async () => {
      expect((await through(filterApis({ skipOnFail: true }), nameless)).kept).to.deep.equal(nameless)
    })

    it('refuses an empty apisToSend: it would drop every record (omit it to keep every API)', () => {
      expect(() => filterApis({ apisToSend: [] })).to.throw(/omit it/).that.includes({ code: 'ERR_INVALID_OPTION', option: 'options.apisToSend' })
    })

    it('counts any truthy isFailed result as failed, as Array.prototype.filter would', async () => {
      const records = [{ error: 'boom' }, { error: '' }, { error: 1 }]
      const { kept } = await through(filterApis({ skipOnFail: true, isFailed: (r) => (r as { error: unknown }).error }), records)
      expect(kept).to.deep.equal([{ error: '' }])
    })

    it('reports a record that fails both tests once, as "api"', async () => {
      const records = [run(0, 'other', true)]
      const { drops } = await through(filterApis({ apisToSend: ['api1'], skipOnFail: true }), records)
      expect(drops).to.deep.equal([{ record: records[0], reason: 'api' }])
    })

    it('ignores unknown option fields, so the whole sink config can be passed', async () => {
      const sinkConfig = {
        type: 's3',
        bucket: 'my-bucket',
        bucketName: 'my-bucket',
        accessKeyId: 'AKIAIOSFODNN7EXAMPLE',
        secretAccessKey: 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY',
        region: 'us-west-2',
        prefix: 'my-prefix/',
        endpoint: 'https://s3.example.com',
        forcePathStyle: true,
        skipOnFail: true,
        apisToSend: ['api1', 'api2']
      }
      const records = [run(0), run(1), run(2, 'api2', true), run(4)]
      const { kept } = await through(filterApis(sinkConfig), records)
      expect(kept).to.deep.equal([records[1], records[3]])
      // A bad field of such a config is named without echoing the secret next to it.
      expect(() => filterApis({ ...sinkConfig, skipOnFail: 'yes' } as unknown as FilterApisOptions))
        .to.throw(InvalidOptionError, 'options.skipOnFail').that.satisfies((err: Error) => !err.message.includes(sinkConfig.secretAccessKey))
    })

    it('reads names and failures through the apiName and isFailed callbacks', async () => {
      const records = [{ api: 'x', ok: true }, { api: 'y', ok: true }, { api: 'x', ok: false }]
      const seen: unknown[] = []
      const filter = filterApis({
        apisToSend: ['x'],
        skipOnFail: true,
        apiName: (r) => (r as { api: string }).api,
        isFailed: (r) => { seen.push(r); return !(r as { ok: boolean }).ok }
      })
      const { kept, drops } = await through(filter, records)
      expect(kept).to.deep.equal([records[0]])
      expect(drops.map((d) => d.reason)).to.deep.equal(['api', 'failed'])
      // isFailed only sees records that passed the API test.
      expect(seen).to.deep.equal([records[0], records[2]])
    })

    it('does not call apiName without apisToSend, nor isFailed without skipOnFail', async () => {
      const filter = filterApis({
        apiName: () => { throw new Error('apiName called') },
        isFailed: () => { throw new Error('isFailed called') }
      })
      const records = [run(0), run(1, 'a', true)]
      expect((await through(filter, records)).kept).to.deep.equal(records)
    })
  })

  describe('acknowledgements (onDurable)', () => {
    it('acknowledges a dropped record at once and passes kept ones on untouched, unacknowledged', async () => {
      const acked: number[] = []
      const records = [run(1, 'a'), run(2, 'b'), run(3, 'a', true)].map((r, i) => Object.assign(r, { [onDurable]: () => acked.push(i) }))
      const { kept } = await through(filterApis({ apisToSend: ['a'], skipOnFail: true }), records)
      expect(kept).to.deep.equal([records[0]])
      expect(acked).to.deep.equal([1, 2])
    })

    it('fails with ERR_CALLBACK when a dropped record\'s callback throws', async () => {
      const record = Object.assign(run(1, 'b'), { [onDurable]: () => { throw new Error('nack') } })
      const err = await through(filterApis({ apisToSend: ['a'] }), [record]).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(CallbackError).and.include({ option: 'record[onDurable]' })
    })
  })

  describe('options', () => {
    it('rejects options that are not an object', () => {
      rejects(null, 'options')
      rejects('api1', 'options')
      rejects(['api1'], 'options')
    })

    it('rejects a bad apisToSend, naming the bad entry', () => {
      rejects({ apisToSend: 'api1' }, 'options.apisToSend')
      rejects({ apisToSend: null }, 'options.apisToSend')
      rejects({ apisToSend: ['api1', 2] }, 'options.apisToSend[1]')
      rejects({ apisToSend: ['api1', ''] }, 'options.apisToSend[1]')
      rejects({ apisToSend: ['api1', 'api2', undefined] }, 'options.apisToSend[2]')
       
      rejects({ apisToSend: [, 'api1'] }, 'options.apisToSend[0]')
    })

    it('rejects a non-boolean skipOnFail', () => {
      rejects({ skipOnFail: 'true' }, 'options.skipOnFail')
      rejects({ skipOnFail: 1 }, 'options.skipOnFail')
      rejects({ skipOnFail: null }, 'options.skipOnFail')
    })

    it('rejects callbacks that are not functions', () => {
      rejects({ apiName: 'apiInfo.name' }, 'options.apiName')
      rejects({ isFailed: true }, 'options.isFailed')
    })

    it('does not mutate the options object, nor depend on it afterwards', async () => {
      const apisToSend = ['api1']
      const options = { apisToSend, skipOnFail: true }
      const before = structuredClone(options)
      const filter = filterApis(Object.freeze(options))
      expect(options).to.deep.equal(before)
      // Later changes by the caller do not change the running filter.
      apisToSend.push('api0')
      const records = [run(0), run(1), run(4, 'api1', true)]
      expect((await through(filter, records)).kept).to.deep.equal([records[1]])
      expect(options).to.deep.equal({ apisToSend: ['api1', 'api0'], skipOnFail: true })
    })
  })

  describe('backpressure', () => {
    it('returns false from write() once its buffers fill, then delivers every record in order after drain', async () => {
      const filter = filterApis({ apisToSend: ['api0', 'api1', 'api2'] })
      const records = Array.from({ length: 80 }, (_, i) => run(i))
      let next = 0
      while (filter.write(records[next++]));
      // Nobody reads yet: buffering stops at the two high-water marks.
      expect(next).to.be.at.most(filter.readableHighWaterMark + filter.writableHighWaterMark + 1)
      expect(filter.readableLength).to.be.at.most(filter.readableHighWaterMark)
      expect(filter.writableNeedDrain).to.equal(true)

      const sink = slowSink(1)
      const done = pipeline(filter, sink)
      let drains = 0
      let falses = 1
      let maxBuffered = 0
      filter.on('drain', () => drains++)
      await once(filter, 'drain')
      for (; next < records.length; next++) {
        maxBuffered = Math.max(maxBuffered, filter.writableLength + filter.readableLength)
        if (!filter.write(records[next])) { falses++; await once(filter, 'drain') }
      }
      filter.end()
      await done
      expect(falses).to.be.greaterThan(1)
      expect(drains).to.equal(falses)
      expect(maxBuffered).to.be.at.most(filter.readableHighWaterMark + filter.writableHighWaterMark)
      expect(sink.received).to.have.length(records.length)
      sink.received.forEach((r, i) => expect(r).to.equal(records[i]))
    })
  })

  describe('destroy', () => {
    it('destroy(err) mid-stream: close fires, finish and end do not, the error is reported once', async () => {
      const filter = filterApis()
      const seen = watch(filter)
      filter.write(run(0))
      filter.write(run(1))
      const boom = new Error('boom')
      filter.destroy(boom)
      await closed(filter)
      await new Promise(setImmediate)
      expect(seen).to.deep.equal({ errors: [boom], close: 1, finish: 0, end: 0 })
    })

    it('inside pipeline(): the pipeline rejects with the error and the source is destroyed too', async () => {
      const src = source((function * () { for (let i = 0; ; i++) yield run(i) })())
      const filter = filterApis()
      const seen = watch(filter)
      const sink = slowSink(1)
      const done = pipeline(src, filter, sink)
      await once(filter, 'data')
      const boom = new Error('boom')
      filter.destroy(boom)
      let caught: unknown
      try { await done } catch (err) { caught = err }
      expect(caught).to.equal(boom)
      expect(src.destroyed).to.equal(true)
      expect(seen.errors).to.deep.equal([boom])
      expect(seen.close).to.equal(1)
      expect(seen.finish + seen.end).to.equal(0)
    })
  })

  describe('failing callbacks', () => {
    async function failure (options: FilterApisOptions, records: unknown[]): Promise<{ err: CallbackError, kept: unknown[], seen: ReturnType<typeof watch> }> {
      const filter = filterApis(options)
      const seen = watch(filter)
      const sink = slowSink(0)
      let caught: unknown
      try { await pipeline(source(records), filter, sink) } catch (err) { caught = err }
      expect(caught).to.be.instanceOf(CallbackError)
      return { err: caught as CallbackError, kept: sink.received, seen }
    }

    it('fails the stream with ERR_CALLBACK when apiName throws; no later record passes', async () => {
      const cause = new Error('no name')
      const records = [run(0, 'a'), run(1, 'a'), run(2, 'throw'), run(3, 'a')]
      const { err, kept, seen } = await failure({
        apisToSend: ['a'],
        apiName: (r) => { const name = (r as ReturnType<typeof run>).apiInfo as { name: string }; if (name.name === 'throw') throw cause; return name.name }
      }, records)
      expect(err.code).to.equal('ERR_CALLBACK')
      expect(err.option).to.equal('options.apiName')
      expect(err.cause).to.equal(cause)
      // Records before the failing one may still be in flight; none after it passes.
      expect(kept.length).to.be.at.most(2)
      expect(kept).to.deep.equal(records.slice(0, kept.length))
      expect(seen.errors).to.deep.equal([err])
    })

    it('fails the stream with ERR_CALLBACK when isFailed throws', async () => {
      const cause = new TypeError('bad record')
      const { err } = await failure({ skipOnFail: true, isFailed: () => { throw cause } }, [run(0)])
      expect(err.code).to.equal('ERR_CALLBACK')
      expect(err.option).to.equal('options.isFailed')
      expect(err.cause).to.equal(cause)
    })

    it('wraps a thrown non-Error value, so only Errors are emitted', async () => {
      const { err } = await failure({ apisToSend: ['a'], apiName: () => { throw 'nope' } }, [run(0)])  
      expect(err).to.be.instanceOf(Error)
      expect(err.option).to.equal('options.apiName')
      expect(err.cause).to.equal('nope')
    })
  })
})
