import { once } from 'node:events'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import {
  createS3Destination, createS3Sink, filterApis, gzip, keyRotate, minuteWindow, onDurable, s3Writable, serialize, sourcePosition,
  type ObjectWritten, type S3SinkConfig
} from '../lib/index.js'
import { manualClock } from './helpers/manual-clock.js'
import { startS3rver, type LocalS3 } from './helpers/s3rver.js'
import { run, source } from './helpers/streams.js'

const BUCKET = 'durable-bucket'

/** Runs that log, in order, which were acknowledged; each ack also records how many objects were stored at that moment. */
function ackedRuns (n: number, log: Array<{ i: number, objects: number }>, objects: () => number, make = (i: number) => run(i)): Array<Record<string | symbol, unknown>> {
  return Array.from({ length: n }, (_, i) => Object.assign(make(i), { [onDurable]: () => log.push({ i, objects: objects() }) }))
}

const idOf = (record: unknown): number => ((record as { apiInfo: { parameters: { page: number } } }).apiInfo.parameters.page)

describe('onDurable through every entry point (s3rver)', function () {
  this.timeout(30_000)
  let s3: LocalS3
  const cfg = (extra: Record<string, unknown> = {}): S3SinkConfig => ({ type: 's3', bucket: BUCKET, ...s3.config, ...extra })

  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket(BUCKET)
  })
  after(async () => { await s3.close() })

  it('staged pipeline: each record is acknowledged once, after the object holding it is stored, and filtered records at once', async () => {
    const log: Array<{ i: number, objects: number }> = []
    const written: ObjectWritten[] = []
    const sink = s3Writable({ ...s3.config, bucket: BUCKET })
    sink.on('object', (o: ObjectWritten) => written.push(o))
    const runs = ackedRuns(40, log, () => written.length, (i) => run(i, i % 4 === 0 ? 'other' : 'search'))
    await pipeline(source(runs), filterApis({ apisToSend: ['search'] }), minuteWindow({ maxRecords: 10, clock: manualClock() }), gzip(),
      keyRotate({ prefix: 'staged/' }), sink)
    expect(log.map((a) => a.i).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i))
    // Filtered ones before any object; the others only once an object holding them was stored.
    for (const { i, objects } of log) {
      if (i % 4 === 0) expect(objects, `filtered record ${i}`).to.equal(0)
      else expect(objects, `record ${i}`).to.be.greaterThan(0)
    }
    const stored = (await s3.readRecords(BUCKET, 'staged/')).map(idOf)
    expect(stored.sort((a, b) => a - b)).to.deep.equal(log.filter((a) => a.i % 4 !== 0).map((a) => a.i).sort((a, b) => a - b))
  })

  it('staged pipeline with byte input: serialize → minuteWindow carries the callbacks to the right objects', async () => {
    const log: Array<{ i: number, objects: number }> = []
    const keysAt: string[][] = []
    const written: ObjectWritten[] = []
    const sink = s3Writable({ ...s3.config, bucket: BUCKET })
    sink.on('object', (o: ObjectWritten) => { written.push(o); keysAt.push(written.map((w) => w.key)) })
    const records = ackedRuns(300, log, () => written.length)
    await pipeline(source(records), serialize({ chunkSize: 1000 }), minuteWindow({ maxRecords: 64, clock: manualClock() }), gzip(),
      keyRotate({ prefix: 'bytes/' }), sink)
    expect(log.map((a) => a.i)).to.have.members(Array.from({ length: 300 }, (_, i) => i))
    // The object stored just before each ack holds that record.
    for (const { i, objects } of log) {
      const key = written[objects - 1]!.key
      const ids = (await s3.readRecords(BUCKET, key)).map(idOf)
      expect(ids, `record ${i} in ${key}`).to.include(i)
    }
  })

  it('never acknowledges the records of an object that failed', async () => {
    const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } })
    const mock = mockClient(client)
    mock.on(PutObjectCommand).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied', $metadata: { httpStatusCode: 403 } }))
    const log: Array<{ i: number, objects: number }> = []
    const err = await pipeline(source(ackedRuns(5, log, () => 0)), minuteWindow({ clock: manualClock() }), s3Writable({ client, bucket: BUCKET }))
      .catch((e: unknown) => e)
    expect(err).to.include({ code: 'ERR_S3_UPLOAD' })
    expect(log).to.deep.equal([])
  })

  it('a throwing callback fails the sink with ERR_CALLBACK once the other callbacks of its object have run', async () => {
    const acked: number[] = []
    const records = Array.from({ length: 5 }, (_, i) => ({ i, [onDurable]: () => { acked.push(i); if (i === 1) throw new Error('commit failed') } }))
    const sink = s3Writable({ ...s3.config, bucket: BUCKET, prefix: 'throwing/' })
    const objects: ObjectWritten[] = []
    sink.on('object', (o: ObjectWritten) => objects.push(o))
    const err = await pipeline(source(records), minuteWindow({ clock: manualClock() }), sink).catch((e: unknown) => e)
    expect(err).to.include({ code: 'ERR_CALLBACK', option: 'record[onDurable]' })
    expect((err as Error).cause).to.have.property('message', 'commit failed')
    expect(acked).to.deep.equal([0, 1, 2, 3, 4])
    expect(objects).to.have.length(1)
  })

  it('createS3Sink per Run: each Run acknowledged after its own object, a filtered one at once', async () => {
    const log: Array<{ i: number, objects: number }> = []
    const keys: string[] = []
    const sink = createS3Sink(cfg({ prefix: 'per-run/', skipOnFail: true }))
    sink.on('object', (o: { key: string }) => keys.push(o.key))
    const runs = ackedRuns(12, log, () => keys.length, (i) => run(i, 'search', i === 5))
    await pipeline(source(runs), sink)
    expect(log.map((a) => a.i)).to.have.members(Array.from({ length: 12 }, (_, i) => i))
    for (const { i, objects } of log) {
      if (i === 5) expect(objects).to.equal(0)
      else expect(keys.slice(0, objects), `record ${i}`).to.include(`per-run/search/run-${i}.json`)
    }
  })

  it('createS3Sink batched: acknowledged once their batch is stored', async () => {
    const log: Array<{ i: number, objects: number }> = []
    let objects = 0
    const sink = createS3Sink(cfg({ prefix: 'batched-acks/', batched: { maxRecords: 7 }, clock: manualClock() }))
    sink.on('object', () => objects++)
    await pipeline(source(ackedRuns(20, log, () => objects)), sink)
    expect(log.map((a) => a.i)).to.have.members(Array.from({ length: 20 }, (_, i) => i))
    for (const { objects: at } of log) expect(at).to.be.greaterThan(0)
    expect(objects).to.equal(3)
  })

  it('createS3Destination().send({ onDurable }): called once the payload\'s object is stored, per (bucket, prefix) pair', async () => {
    const destination = createS3Destination({ ...s3.config, bucket: BUCKET, maxRecords: 10, clock: manualClock() })
    let objects = 0
    destination.on('object', () => objects++)
    const acked: Array<{ i: number, objects: number }> = []
    for (let i = 0; i < 30; i++) {
      destination.send({ prefix: `dest-${i % 2}/`, payload: { i }, onDurable: () => acked.push({ i, objects }) })
    }
    destination.send({ prefix: 'dest-0/', payload: { i: 'no ack' } })
    await destination.close()
    expect(acked.map((a) => a.i).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 30 }, (_, i) => i))
    for (const { objects: at } of acked) expect(at).to.be.greaterThan(0)
    expect(() => createS3Destination({ ...s3.config, bucket: BUCKET }).send({ payload: {}, onDurable: 'yes' as never }))
      .to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option: 'event.onDurable' })
  })

  it('createS3Destination: a throwing onDurable fails the destination with ERR_CALLBACK', async () => {
    const destination = createS3Destination({ ...s3.config, bucket: BUCKET, clock: manualClock() })
    const errors: Error[] = []
    destination.on('error', (err: Error) => errors.push(err))
    destination.send({ prefix: 'dest-throw/', payload: { a: 1 }, onDurable: () => { throw new Error('nack') } })
    const err = await destination.close().catch((e: unknown) => e)
    expect(err).to.include({ code: 'ERR_CALLBACK' })
    expect(errors).to.have.length(1)
  })

  it('positions ride along without changing the stored JSON', async () => {
    const records = Array.from({ length: 3 }, (_, i) => ({ i, [sourcePosition]: `p-${i}`, [onDurable]: () => {} }))
    const sink = s3Writable({ ...s3.config, bucket: BUCKET, prefix: 'positions/' })
    const done = once(sink, 'finish')
    await pipeline(source(records), minuteWindow({ clock: manualClock() }), sink)
    await done
    expect(await s3.readRecords(BUCKET, 'positions/')).to.deep.equal([{ i: 0 }, { i: 1 }, { i: 2 }])
  })
})
