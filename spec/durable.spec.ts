import { once } from 'node:events'
import { PassThrough } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import {
  createCheckpoint, createS3Destination, createS3Sink, filterApis, gzip, keyRotate, minuteWindow, onDurable, route, s3Writable, serialize, sourcePosition,
  type ObjectWritten, type S3SinkConfig
} from '../lib/index.js'
import { markLines } from '../lib/internal/line-marks.js'
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

  describe('an async callback whose promise rejects fails the stage with ERR_CALLBACK, as a throw does, instead of ending the process', () => {
    const rejecting = (i: number): () => Promise<void> => async () => { await Promise.resolve(); throw new Error(`ack ${i} failed`) }
    /** A feed still open when the rejection comes, as a long-running one is: its records, then nothing more. */
    const openFeed = (records: unknown[]): PassThrough => {
      const feed = new PassThrough({ objectMode: true })
      for (const record of records) feed.write(record)
      return feed
    }

    it('staged pipeline (s3Writable fires it)', async () => {
      const records = Array.from({ length: 3 }, (_, i) => ({ i, [onDurable]: rejecting(i) }))
      const err = await pipeline(openFeed(records), minuteWindow({ maxRecords: 3, clock: manualClock() }), s3Writable({ ...s3.config, bucket: BUCKET, prefix: 'async-ack/' }))
        .catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_CALLBACK', option: 'record[onDurable]', message: 'record[onDurable] rejected' })
      expect((err as Error).cause).to.have.property('message', 'ack 0 failed')
    })

    it('createS3Sink per Run, and batched', async () => {
      for (const extra of [{ prefix: 'async-ack-run/' }, { prefix: 'async-ack-batched/', batched: { maxRecords: 2 }, clock: manualClock() }]) {
        const runs = [0, 1].map((i) => Object.assign(run(i), { [onDurable]: rejecting(i) }))
        const err = await pipeline(openFeed(runs), createS3Sink(cfg(extra))).catch((e: unknown) => e)
        expect(err, JSON.stringify(extra)).to.include({ code: 'ERR_CALLBACK', message: 'record[onDurable] rejected' })
      }
    })

    it('a record filterApis lets go', async () => {
      const err = await pipeline(openFeed([Object.assign(run(0, 'other'), { [onDurable]: rejecting(0) })]), filterApis({ apisToSend: ['search'] }), createS3Sink(cfg({ prefix: 'async-ack-filtered/' })))
        .catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_CALLBACK', message: 'record[onDurable] rejected' })
    })

    it('a record route() drops (unmatched: "drop")', async () => {
      const err = await pipeline(openFeed([Object.assign(run(0, 'other'), { [onDurable]: rejecting(0) })]),
        route({ outputs: [{ name: 'search', when: (r) => (r as { apiInfo: { name: string } }).apiInfo.name === 'search' }], unmatched: 'drop' }),
        s3Writable({ ...s3.config, bucket: BUCKET, prefix: 'async-ack-route/' })).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_CALLBACK', message: 'record[onDurable] rejected' })
    })

    it('records minuteWindow lets go itself (onInvalid "skip" with record and byte input, onLate "drop")', async () => {
      const skipped = { i: 0, big: 'x'.repeat(200), [onDurable]: rejecting(0) }
      const late = [{ t: 200_000 }, { t: 0, [onDurable]: rejecting(1) }]
      const bytes = [markLines(Buffer.from('not json\n'), [{ end: 9, callback: rejecting(2) as () => void }])]
      for (const [records, options] of [
        [[skipped], { onInvalid: 'skip', maxBytes: 100 }],
        [late, { timeOf: (r: unknown) => (r as { t: number }).t, onLate: 'drop' }],
        [bytes, { onInvalid: 'skip', validateLines: true }]
      ] as const) {
        const err = await pipeline(openFeed([...records]), minuteWindow({ ...options, clock: manualClock() }), s3Writable({ ...s3.config, bucket: BUCKET, prefix: 'async-ack-window/' }))
          .catch((e: unknown) => e)
        expect(err, JSON.stringify(options)).to.include({ code: 'ERR_CALLBACK', message: 'record[onDurable] rejected' })
      }
    })

    it('a feed that ended: the sink\'s final waits for the callbacks\' promises, and fails with the first rejection', async () => {
      const err = await pipeline(source([0, 1].map((i) => ({ i, [onDurable]: rejecting(i) }))), minuteWindow({ clock: manualClock() }),
        s3Writable({ ...s3.config, bucket: BUCKET, prefix: 'async-ack-end/' })).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_CALLBACK', message: 'record[onDurable] rejected' })
      const runErr = await pipeline(source([Object.assign(run(0), { [onDurable]: rejecting(0) })]), createS3Sink(cfg({ prefix: 'async-ack-end/' }))).catch((e: unknown) => e)
      expect(runErr).to.include({ code: 'ERR_CALLBACK', message: 'record[onDurable] rejected' })
    })

    it('pipeline() resolves only once the callbacks\' promises have', async () => {
      const log: string[] = []
      const slow = (i: number) => async (): Promise<void> => { await new Promise((resolve) => setTimeout(resolve, 100)); log.push(`acked ${i}`) }
      await pipeline(source([0, 1].map((i) => Object.assign(run(i), { [onDurable]: slow(i) }))), createS3Sink(cfg({ prefix: 'async-ack-slow/' })))
      log.push('resolved')
      expect(log).to.have.length(3)
      expect(log.slice(0, 2)).to.have.members(['acked 0', 'acked 1'])
      expect(log[2]).to.equal('resolved')
    })

    it('createCheckpoint: an async onCommit is waited for, and its rejection fails the sink', async () => {
      const commits: number[] = []
      const committing = createCheckpoint<number>({ onCommit: async (_partition, offset) => { await new Promise((resolve) => setTimeout(resolve, 50)); commits.push(offset) } })
      await pipeline(source([0, 1].map((i) => Object.assign(run(i), { [onDurable]: committing.track('p', i) }))), createS3Sink(cfg({ prefix: 'async-commit/', batched: true, clock: manualClock() })))
      expect(commits).to.deep.equal([0, 1])
      const failing = createCheckpoint<number>({ onCommit: async () => { await Promise.resolve(); throw new Error('commit refused') } })
      const err = await pipeline(source([0, 1].map((i) => Object.assign(run(i), { [onDurable]: failing.track('p', i) }))), createS3Sink(cfg({ prefix: 'async-commit/' })))
        .catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_CALLBACK', message: 'record[onDurable] rejected' })
      expect((err as Error).cause).to.have.property('message', 'commit refused')
    })

    it('a stage with no final to report it (filterApis, its feed ended): a process warning', async () => {
      const warned = once(process, 'warning')
      await pipeline(source([Object.assign(run(0, 'other'), { [onDurable]: rejecting(0) })]), filterApis({ apisToSend: ['search'] }), createS3Sink(cfg({ prefix: 'async-ack-warn/' })))
      const [warning] = await warned as [Error]
      expect(warning).to.include({ code: 'ERR_CALLBACK', message: 'record[onDurable] rejected' })
    })
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
