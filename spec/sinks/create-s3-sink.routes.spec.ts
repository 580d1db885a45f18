import { expect } from 'chai'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import { onDurable } from '../../lib/durable.js'
import { CallbackError, ConfigError } from '../../lib/errors.js'
import { createS3Sink } from '../../lib/sinks/create-s3-sink.js'
import type { RoutedObjectWritten } from '../../lib/sinks/routed-object.js'
import type { S3SinkConfig } from '../../lib/sinks/sink-config.js'
import { manualClock } from '../helpers/manual-clock.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { run, source } from '../helpers/streams.js'

const T0 = Date.UTC(2026, 10, 25, 14, 0)
const failed = (r: unknown): boolean => (r as { apiInfo: { result: { status: string } } }).apiInfo.result.status === 'failed'

/** Waits for a state the SDK middleware reaches asynchronously (polls; asserts no timing). */
async function until (condition: () => boolean): Promise<void> {
  for (let i = 0; i < 5000 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 1))
  expect(condition()).to.equal(true)
}

function gatedClient (): { client: S3Client, gates: Array<() => void> } {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } })
  const gates: Array<() => void> = []
  mockClient(client).on(PutObjectCommand).callsFake(async () => await new Promise((resolve) => gates.push(() => resolve({ ETag: '"gated"' }))))
  return { client, gates }
}

function issuesOf (config: unknown): string[] {
  try {
    createS3Sink(config as S3SinkConfig)
  } catch (err) {
    expect(err).to.be.instanceOf(ConfigError)
    return (err as ConfigError).issues.map((i) => `${i.path}:${i.problem}`).sort()
  }
  throw new Error('no ConfigError')
}

describe('createS3Sink({ routes })', function () {
  this.timeout(30_000)
  let s3: LocalS3
  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket('routes')
  })
  after(async () => { await s3.close() })
  const base = (): Record<string, unknown> => ({ type: 's3', bucket: 'routes', ...s3.config, clock: manualClock(T0) })

  it('failed Runs one object each under errors/, the others batched and partitioned under runs/, through one sink, read back', async () => {
    const runs = Array.from({ length: 90 }, (_, i) => run(i, `api${i % 3}`, i % 10 === 0))
    let acked = 0
    for (const r of runs) (r as Record<symbol, unknown>)[onDurable] = () => { acked++ }
    const sink = createS3Sink({
      ...base(),
      prefix: 'prod',
      routes: [
        { name: 'errors', when: failed, prefix: 'errors/' },
        { name: 'runs', prefix: 'runs/', keyTemplate: '{prefix}api={apiInfo.name}/{YYYY}{MM}{DD}/{id}{ext}', batched: { maxRecords: 1000, level: 1 } }
      ]
    } as never)
    const objects: string[] = []
    const routeOf = new Map<string, string>()
    sink.on('object', ({ key, route }: RoutedObjectWritten) => { objects.push(key); routeOf.set(key, route) })
    await pipeline(source(runs), sink)

    const errorKeys = await s3.listKeys('routes', 'prod/errors/')
    expect(errorKeys).to.deep.equal(runs.filter(failed).map((r) => `prod/errors/${(r.apiInfo as { name: string }).name}/${(r.apiInfo as { runId: string }).runId}.json`).sort())
    const one = await s3.getObject('routes', 'prod/errors/api0/run-0.json')
    expect(one.body.toString()).to.equal(JSON.stringify(runs[0]))
    expect(one.contentType).to.equal('application/json')

    const runKeys = await s3.listKeys('routes', 'prod/runs/')
    expect(runKeys.map((k) => k.replace(/[0-9a-f]{64}\.gz$/, ''))).to.deep.equal(['prod/runs/api=api0/20261125/', 'prod/runs/api=api1/20261125/', 'prod/runs/api=api2/20261125/'])
    const stored = runKeys.flatMap((k) => [k]).length
    expect(stored).to.equal(3)
    const lines = (await Promise.all(runKeys.map(async (k) => gunzipSync((await s3.getObject('routes', k)).body).toString().trim().split('\n')))).flat()
    expect(lines.map((l) => JSON.parse(l) as unknown)).to.have.deep.members(runs.filter((r) => !failed(r)).map((r) => JSON.parse(JSON.stringify(r)) as unknown))
    expect(objects).to.have.length(9 + 3)
    // Every 'object' event names the route the object's Runs went to.
    expect([...routeOf].filter(([, route]) => route === 'errors').map(([key]) => key).sort()).to.deep.equal(errorKeys)
    expect([...routeOf].filter(([, route]) => route === 'runs').map(([key]) => key).sort()).to.deep.equal(runKeys)
    expect(acked).to.equal(90)
  })

  it('a Run redelivered to a per-Run route replaces its object, the later Run last', async () => {
    const first = run(7, 'api', true)
    const later = { ...run(7, 'api', true), note: 'redelivered' }
    await pipeline(source([first, run(1), later]), createS3Sink({ ...base(), prefix: 'again', routes: [{ name: 'errors', when: failed }, { name: 'rest', batched: true }] } as never))
    expect((await s3.getObject('routes', 'again/api/run-7.json')).body.toString()).to.equal(JSON.stringify(later))
  })

  it('encodingHeader per route: false stores that route\'s objects as application/gzip without Content-Encoding', async () => {
    await pipeline(source([run(1), run(2, 'api', true)]), createS3Sink({ ...base(), prefix: 'types', routes: [
      { name: 'plain', when: failed, prefix: 'plain/', batched: { encodingHeader: false } },
      { name: 'encoded', prefix: 'encoded/', batched: true }
    ] } as never))
    const [plain] = await s3.listKeys('routes', 'types/plain/')
    const [encoded] = await s3.listKeys('routes', 'types/encoded/')
    expect(plain).to.match(/\.gz$/)
    expect(await s3.getObject('routes', plain!)).to.deep.include({ contentType: 'application/gzip', contentEncoding: undefined })
    expect(await s3.getObject('routes', encoded!)).to.deep.include({ contentType: 'application/x-ndjson', contentEncoding: 'gzip' })
  })

  it('a Run no route takes fails the sink with ERR_CALLBACK naming the routes; a throwing when() is named', async () => {
    const none = createS3Sink({ ...base(), routes: [{ name: 'errors', when: failed }] } as never)
    const err = await pipeline(source([run(1)]), none).catch((e: unknown) => e)
    expect(err).to.be.instanceOf(CallbackError).with.property('option', 'config.routes')
    expect((err as Error).message).to.equal("config.routes took none of Run 0: no route's when() returned true (end with a route without when, which takes every Run, or set unmatched: 'drop' to drop such Runs)")
    const throwing = createS3Sink({ ...base(), routes: [{ name: 'a', when: () => { throw new Error('bad') } }, { name: 'b' }] } as never)
    const thrown = await pipeline(source([run(1)]), throwing).catch((e: unknown) => e)
    expect(thrown).to.be.instanceOf(CallbackError).with.property('option', 'config.routes[0].when')
  })

  it('unmatched: "drop" leaves out, announces and acknowledges the Runs no route takes', async () => {
    const acked: number[] = []
    const dropped: Array<{ reason: string }> = []
    const runs = [0, 1, 2, 3].map((i) => ({ ...run(i, 'api', i % 2 === 0), [onDurable]: () => { acked.push(i) } }))
    const sink = createS3Sink({ ...base(), prefix: 'unmatched', routes: [{ name: 'errors', when: failed, prefix: 'errors/' }], unmatched: 'drop' } as never)
    sink.on('drop', (drop: { reason: string }) => dropped.push(drop))
    await pipeline(source(runs), sink)
    expect((await s3.listKeys('routes', 'unmatched/')).sort()).to.deep.equal(['unmatched/errors/api/run-0.json', 'unmatched/errors/api/run-2.json'])
    expect(dropped.map((d) => d.reason)).to.deep.equal(['route', 'route'])
    expect(acked.sort()).to.deep.equal([0, 1, 2, 3])
  })

  it('checks unmatched: a policy, and only with routes', () => {
    expect(issuesOf({ ...base(), routes: [{ name: 'a' }], unmatched: 'keep' })).to.deep.equal(['unmatched:invalid'])
    expect(issuesOf({ ...base(), unmatched: 'drop' })).to.deep.equal(['unmatched:invalid'])
  })

  it('reports every bad route field by path, with the others', () => {
    expect(issuesOf({ ...base(), routes: [] })).to.deep.equal(['routes:invalid'])
    expect(issuesOf({ ...base(), routes: 'errors' })).to.deep.equal(['routes:type'])
    expect(issuesOf({
      ...base(),
      batched: true,
      keyTemplate: '{id}',
      routes: [
        { when: failed },
        { name: 'b', prefix: '/x', batched: { level: 12, manifests: true } },
        { name: 'b', when: failed, keyTemplate: '{YYYY}/x', sizes: 1 },
        { name: 'c', when: 'failed', batched: { encodingHeader: 'no' } }
      ]
    })).to.deep.equal([
      'batched:invalid', 'keyTemplate:invalid', 'routes[0].name:missing', 'routes[1].batched.level:invalid', 'routes[1].batched.manifests:invalid',
      'routes[1].prefix:invalid', 'routes[1].when:missing', 'routes[2].keyTemplate:invalid', 'routes[2].name:invalid', 'routes[2].sizes:unknown',
      'routes[3].batched.encodingHeader:type', 'routes[3].when:type'
    ])
  })

  it('does not mutate the config', () => {
    const config = { ...base(), routes: [{ name: 'a', prefix: 'a', batched: { maxRecords: 2 } }] }
    const copy = JSON.stringify(config)
    createS3Sink(config as never).destroy()
    expect(JSON.stringify(config)).to.equal(copy)
  })

  it('backpressure: one pool for every route; write() returns false once its slots are taken', async () => {
    const { client, gates } = gatedClient()
    const sink = createS3Sink({ type: 's3', bucket: 'b', client, concurrency: 2, routes: [{ name: 'errors', when: failed, prefix: 'e/' }, { name: 'rest', prefix: 'r/' }] })
    let accepted = 0
    while (sink.write(run(accepted, 'api', accepted % 2 === 0)) && accepted < 200) accepted++
    accepted++
    // The stream buffers a bounded number of Runs before it says stop.
    expect(accepted).to.be.below(100)
    await until(() => gates.length === 2)
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(gates).to.have.length(2)
    sink.end()
    for (let released = 0; released < accepted; released++) {
      await until(() => gates.length > released)
      gates[released]!()
    }
    await new Promise((resolve) => sink.on('finish', resolve))
  })

  it('destroy mid-stream: the error once; only an object S3 confirmed is acknowledged, never the open batch', async () => {
    const { client, gates } = gatedClient()
    const sink = createS3Sink({ type: 's3', bucket: 'b', client, routes: [{ name: 'errors', when: failed }, { name: 'rest', batched: true }] })
    const errors: Error[] = []
    sink.on('error', (e: Error) => errors.push(e))
    const acked: string[] = []
    const objects: unknown[] = []
    sink.on('object', (o) => objects.push(o))
    sink.write({ ...run(1, 'api', true), [onDurable]: () => { acked.push('failed Run') } })
    sink.write({ ...run(2), [onDurable]: () => { acked.push('batched Run') } })
    await until(() => gates.length === 1)
    const stop = new Error('stop')
    const closed = new Promise((resolve) => sink.on('close', resolve))
    sink.destroy(stop)
    await closed
    gates.forEach((release) => { release() })
    await new Promise((resolve) => setImmediate(resolve))
    expect(errors).to.deep.equal([stop])
    // The per-Run object's answer may still arrive during the abort: then it is stored, and only then acknowledged.
    expect(acked).to.deep.equal(objects.length === 0 ? [] : ['failed Run'])
  })
})
