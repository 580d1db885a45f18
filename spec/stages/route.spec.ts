import { expect } from 'chai'
import { once } from 'node:events'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import type { Batch } from '../../lib/batch.js'
import { onDurable } from '../../lib/durable.js'
import { CallbackError, InvalidOptionError } from '../../lib/errors.js'
import { route } from '../../lib/stages/route.js'
import { s3Writable } from '../../lib/sinks/s3-writable.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { closed, drainBatches, run, source, watch } from '../helpers/streams.js'

const failed = (r: unknown): boolean => (r as ReturnType<typeof run> & { apiInfo: { result: { status: string } } }).apiInfo.result.status === 'failed'
const outputs = (): Parameters<typeof route>[0]['outputs'] => [
  { name: 'errors', when: failed, window: { maxRecords: 1 }, compression: 'none', prefix: 'errors/' },
  { name: 'runs', when: () => true, prefix: 'runs/', level: 1 }
]

describe('route()', () => {
  describe('into s3Writable, against s3rver', () => {
    let s3: LocalS3
    before(async () => {
      s3 = await startS3rver()
      await s3.createBucket('routes')
    })
    after(async () => { await s3.close() })

    it('completed Runs batched into runs/, failed Runs one object each into errors/, through one sink', async () => {
      const runs = Array.from({ length: 200 }, (_, i) => run(i, `api${i % 3}`, i % 10 === 0))
      const sink = s3Writable({ ...s3.config, bucket: 'routes' })
      const objects: string[] = []
      sink.on('object', ({ key }) => objects.push(key as string))
      await pipeline(source(runs), route({ outputs: outputs() }), sink)
      const errorKeys = await s3.listKeys('routes', 'errors/')
      expect(errorKeys).to.have.length(20)
      expect(errorKeys.every((k) => k.endsWith('.ndjson'))).to.equal(true)
      const runKeys = await s3.listKeys('routes', 'runs/')
      expect(runKeys).to.have.length(1)
      expect(runKeys[0]).to.match(/\.gz$/)
      const stored = gunzipSync((await s3.getObject('routes', runKeys[0]!)).body).toString().trim().split('\n').map((l) => JSON.parse(l) as unknown)
      expect(stored).to.deep.equal(runs.filter((r) => !failed(r)))
      const errors = (await s3.readRecords('routes', 'errors/')) as Array<ReturnType<typeof run>>
      expect(errors.map((r) => (r.apiInfo as { runId: string }).runId).sort()).to.deep.equal(runs.filter(failed).map((r) => (r.apiInfo as { runId: string }).runId).sort())
      expect(objects).to.have.length(21)
    })
  })

  it('an output with a key template: its record fields partition its windows and name its objects', async () => {
    const stage = route({ outputs: [
      { name: 'errors', when: failed, compression: 'none', keyTemplate: 'errors/api={apiInfo.name}/{id}{ext}' },
      { name: 'runs', when: () => true, prefix: 'runs/' }
    ] })
    const batches = await drainBatches(source(Array.from({ length: 30 }, (_, i) => run(i, `api${i % 3}`, i % 5 === 0))).pipe(stage) as AsyncIterable<Batch>)
    const keys = batches.map(({ batch }) => batch.key!.replace(/[0-9a-f]{64}/, 'ID')).sort()
    expect(keys.filter((k) => k.startsWith('errors/'))).to.deep.equal(['errors/api=api0/ID', 'errors/api=api1/ID', 'errors/api=api2/ID'])
    expect(keys.filter((k) => k.startsWith('runs/'))).to.have.length(1)
  })

  it('unmatched records fail the stream by default, naming the cause, the record and the option that drops them', async () => {
    const stage = route({ outputs: [{ name: 'a', when: (r) => (r as { x: number }).x === 1 }] })
    const err = await pipeline(source([{ x: 1 }, { x: 2 }]), stage, async function * (batches) { for await (const b of batches) yield b }).catch((e: unknown) => e)
    expect(err).to.be.instanceOf(CallbackError).with.property('option', 'options.outputs')
    expect((err as Error).message).to.equal("options.outputs took none of record 1: no output's when() returned true (end with an output whose when() takes every record, or set unmatched: 'drop' to drop such records)")
    expect((err as Error).message).to.not.include('--')
  })

  it('unmatched: "drop" announces and acknowledges the record', async () => {
    const stage = route({ outputs: [{ name: 'a', when: (r) => (r as { keep: boolean }).keep }], unmatched: 'drop' })
    const dropped: unknown[] = []
    let acked = 0
    stage.on('drop', ({ record, reason }: { record: unknown, reason: string }) => { expect(reason).to.equal('route'); dropped.push(record) })
    const records = [{ keep: true }, { keep: false, [onDurable]: () => { acked++ } }]
    const batches = await drainBatches(source(records).pipe(stage) as AsyncIterable<Batch>)
    expect(batches).to.have.length(1)
    expect(dropped).to.have.length(1)
    expect(acked).to.equal(1)
  })

  describe('options', () => {
    const rejects = (options: unknown, option: string): void => {
      expect(() => route(options as never)).to.throw(InvalidOptionError).with.property('option', option)
    }
    it('names the bad option, inside its output', () => {
      rejects(undefined, 'options')
      rejects({ outputs: [] }, 'options.outputs')
      rejects({ outputs: [{ when: () => true }] }, 'options.outputs[0].name')
      rejects({ outputs: [{ name: 'a' }] }, 'options.outputs[0].when')
      rejects({ outputs: [{ name: 'a', when: () => true }, { name: 'a', when: () => true }] }, 'options.outputs[1].name')
      rejects({ outputs: [{ name: 'a', when: () => true, window: { windowMs: 0 } }] }, 'options.outputs[0].window.windowMs')
      rejects({ outputs: [{ name: 'a', when: () => true, compression: 'brotli' }] }, 'options.outputs[0].compression')
      rejects({ outputs: [{ name: 'a', when: () => true, compression: 'none', level: 1 }] }, 'options.outputs[0].level')
      rejects({ outputs: [{ name: 'a', when: () => true, level: 12 }] }, 'options.outputs[0].level')
      rejects({ outputs: [{ name: 'a', when: () => true, prefix: '/x' }] }, 'options.outputs[0].prefix')
      rejects({ outputs: [{ name: 'a', when: () => true, size: 1 }] }, 'options.outputs[0].size')
      rejects({ outputs: [{ name: 'a', when: () => true }], unmatched: 'keep' }, 'options.unmatched')
      rejects({ outputs: [{ name: 'a', when: () => true, keyTemplate: '{YYYY}/x' }] }, 'options.outputs[0].keyTemplate')
      rejects({ outputs: [{ name: 'a', when: () => true, timeZone: 'UTC' }] }, 'options.outputs[0].timeZone')
      rejects({ outputs: [{ name: 'a', when: () => true, keyTemplate: '{a}/{id}', window: { partitionBy: ['b'] } }] }, 'options.outputs[0].window.partitionBy')
    })

    it('does not mutate its options', () => {
      const options = { outputs: [{ name: 'a', when: () => true, window: { maxRecords: 2 } }] }
      const copy = JSON.stringify(options)
      route(options).destroy()
      expect(JSON.stringify(options)).to.equal(copy)
    })
  })

  it('backpressure: write() returns false while nobody reads the batches, with bounded buffering', async () => {
    const stage = route({ outputs: [{ name: 'a', when: () => true, compression: 'none', window: { chunkSize: 1024 } }] })
    let accepted = 0
    const big = { text: 'x'.repeat(1000) }
    while (stage.write(big) && accepted < 10_000) accepted++
    expect(accepted).to.be.below(200)
    stage.destroy()
    await closed(stage)
  })

  it('destroy mid-stream: close fires, no finish or end, open bodies fail, error once', async () => {
    const stage = route({ outputs: outputs() })
    const seen = watch(stage)
    const batches: Batch[] = []
    stage.on('data', (b: Batch) => batches.push(b))
    stage.write(run(1))
    stage.write(run(10, 'api1', true))
    await new Promise((resolve) => setImmediate(resolve))
    const boom = new Error('boom')
    stage.destroy(boom)
    await closed(stage)
    expect(seen).to.deep.include({ close: 1, finish: 0, end: 0 })
    expect(seen.errors).to.deep.equal([boom])
    const runs = batches.find((b) => b.contentEncoding === 'gzip')!
    expect(runs.body.destroyed).to.equal(true)
  })

  it('a when() that throws or returns a non-boolean fails with ERR_CALLBACK naming it', async () => {
    for (const when of [() => { throw new Error('bad') }, () => 'yes' as unknown as boolean]) {
      const stage = route({ outputs: [{ name: 'ok', when: () => false }, { name: 'bad', when }] })
      stage.write({})
      const err = await once(stage, 'error') as [CallbackError]
      expect(err[0]).to.be.instanceOf(CallbackError).with.property('option', 'options.outputs[1].when')
    }
  })
})
