import { expect } from 'chai'
import { pipeline } from 'node:stream/promises'
import { ConfigError } from '../../lib/errors.js'
import { createS3Sink } from '../../lib/sinks/create-s3-sink.js'
import { manualClock } from '../helpers/manual-clock.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { sourcePosition } from '../../lib/source-position.js'
import { run, source } from '../helpers/streams.js'

const T0 = Date.UTC(2026, 10, 25, 14, 0)

describe('createS3Sink({ keyTemplate })', () => {
  let s3: LocalS3
  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket('layout')
  })
  after(async () => { await s3.close() })
  const base = (): Record<string, unknown> => ({ type: 's3', bucket: 'layout', ...s3.config, clock: manualClock(T0) })

  it('per Run: fields from the Run, {id} its runId, so a redelivery replaces its object', async () => {
    const runs = [run(1, 'search'), run(2, 'a/b'), { ...run(3, 'search'), apiInfo: { name: 'search' } }]
    await pipeline(source([...runs, run(1, 'search')]), createS3Sink({ ...base(), prefix: 'per-run', keyTemplate: '{prefix}api={apiInfo.name}/{YYYY}{MM}{DD}/{id}.json' } as never))
    const keys = await s3.listKeys('layout', 'per-run/')
    expect(keys.filter((k) => /^per-run\/api=search\/20261125\/[0-9a-f]{64}\.json$/.test(k))).to.have.length(1)
    expect(keys.filter((k) => !/[0-9a-f]{64}\.json$/.test(k))).to.deep.equal(['per-run/api=a%2Fb/20261125/run-2.json', 'per-run/api=search/20261125/run-1.json'])
  })

  it('batched: the template partitions the windows, by event time, with manifests', async () => {
    const runs = Array.from({ length: 60 }, (_, i) => ({ ...run(i), at: T0 + (i % 2) * 60_000 + i }))
    const sink = createS3Sink({
      ...base(),
      prefix: 'batched',
      keyTemplate: '{prefix}api={apiInfo.name}/{HH}{mm}/{id}{ext}',
      batched: { timeOf: (r: unknown) => (r as { at: number }).at, allowedLatenessMs: 60_000, manifests: true }
    } as never)
    const manifests: unknown[] = []
    sink.on('manifest', (m) => manifests.push(m))
    await pipeline(source(runs), sink)
    const keys = (await s3.listKeys('layout', 'batched/')).filter((k) => !k.includes('_manifests'))
    expect(keys.map((k) => k.replace(/\/[0-9a-f]{64}\.gz$/, '')).sort()).to.deep.equal([
      'batched/api=api0/1400', 'batched/api=api0/1401', 'batched/api=api1/1400', 'batched/api=api1/1401', 'batched/api=api2/1400', 'batched/api=api2/1401'
    ])
    expect(manifests).to.have.length(6)
    expect(await s3.listKeys('layout', 'batched/_manifests/')).to.have.length(6)
  })

  it('reports bad layout fields with the others, by path', () => {
    let err: ConfigError | undefined
    try {
      createS3Sink({ ...base(), keyTemplate: '{yyyy}/{id}', timeZone: 'UTC', batched: { allowedLatenessMs: 5, manifests: 'yes', maxOpenPartitions: 0 } } as never)
    } catch (e) {
      err = e as ConfigError
    }
    expect(err).to.be.instanceOf(ConfigError)
    expect(err!.issues.map((i) => i.path).sort()).to.deep.equal(['batched.allowedLatenessMs', 'batched.manifests', 'batched.maxOpenPartitions', 'keyTemplate'])
  })
})

describe('createS3Sink({ batched: { stableKeys, closeOnTime } })', () => {
  let s3: LocalS3
  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket('stable')
  })
  after(async () => { await s3.close() })
  const base = (): Record<string, unknown> => ({ type: 's3', bucket: 'stable', ...s3.config, clock: manualClock(T0) })
  const positioned = (): Array<Record<string | symbol, unknown>> => Array.from({ length: 25 }, (_, i) => ({ ...run(i), [sourcePosition]: `feed:${i}` }))

  it('stableKeys: a replay of the same Runs writes the same keys, batches cut only when full', async () => {
    const keysOf = async (): Promise<string[]> => {
      const sink = createS3Sink({ ...base(), prefix: 'replay', batched: { maxRecords: 10, stableKeys: true } } as never)
      const keys: string[] = []
      sink.on('object', ({ key }: { key: string }) => keys.push(key))
      await pipeline(source(positioned()), sink)
      return keys.sort()
    }
    const first = await keysOf()
    expect(first).to.have.length(3)
    expect(await keysOf()).to.deep.equal(first)
    expect(await s3.listKeys('stable', 'replay/')).to.deep.equal(first)
    const records = await s3.readRecords('stable', 'replay/') as Array<{ apiInfo: { runId: string } }>
    expect(records.map((r) => r.apiInfo.runId).sort()).to.deep.equal(positioned().map((r) => (r.apiInfo as { runId: string }).runId).sort())
  })

  it('stableKeys without positions fails with ERR_NO_POSITION', async () => {
    const err = await pipeline(source([run(1)]), createS3Sink({ ...base(), batched: { stableKeys: true } } as never)).catch((e: unknown) => e)
    expect(err).to.have.property('code', 'ERR_NO_POSITION')
  })

  it('closeOnTime: false keeps the batch open past its window; true (default) closes it on the timer', async () => {
    for (const closeOnTime of [false, true]) {
      const clock = manualClock(T0)
      const sink = createS3Sink({ ...base(), clock, prefix: `timer-${String(closeOnTime)}`, batched: { closeOnTime } } as never)
      const objects: unknown[] = []
      sink.on('object', (o) => objects.push(o))
      sink.write(run(1))
      await new Promise((resolve) => setImmediate(resolve))
      clock.advance(120_000)
      // Closed on time, the object comes within a few ticks; kept open, none comes in the same while.
      for (let i = 0; i < (closeOnTime ? 400 : 20) && objects.length === 0; i++) await new Promise((resolve) => setTimeout(resolve, 5))
      expect(objects).to.have.length(closeOnTime ? 1 : 0)
      sink.end()
      await new Promise((resolve) => sink.on('close', resolve))
      expect(objects).to.have.length(1)
    }
  })

  it('reports bad stableKeys / closeOnTime by path', () => {
    let err: ConfigError | undefined
    try {
      createS3Sink({ ...base(), batched: { stableKeys: 'yes', closeOnTime: 0 } } as never)
    } catch (e) {
      err = e as ConfigError
    }
    expect(err!.issues.map((i) => `${i.path}:${i.problem}`).sort()).to.deep.equal(['batched.closeOnTime:type', 'batched.stableKeys:type'])
  })
})
