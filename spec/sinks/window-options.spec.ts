import { expect } from 'chai'
import { once } from 'node:events'
import { pipeline } from 'node:stream/promises'
import { onDurable } from '../../lib/durable.js'
import { ConfigError, InvalidOptionError, LateRecordError } from '../../lib/errors.js'
import { createS3Destination } from '../../lib/sinks/create-s3-destination.js'
import { createS3Sink } from '../../lib/sinks/create-s3-sink.js'
import type { S3SinkConfig } from '../../lib/sinks/sink-config.js'
import { manualClock } from '../helpers/manual-clock.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { run, source } from '../helpers/streams.js'
import { until } from '../helpers/until.js'

const T0 = Date.UTC(2026, 10, 25, 14, 0)
// With the default lateness (0), the second is late: its window ended before the watermark (T0 + 120 s).
const TIMES = [T0 + 120_000, T0, T0 + 120_001]
const timeOf = (r: unknown): number => (r as { at: number }).at

// createS3Sink({ batched: { onLate } }) and createS3Destination({ onLate }) as
// minuteWindow({ onLate }) and the CLI's --on-late: every other option left
// at its default but timeOf, against s3rver; and the other window options the
// CLI has flags for (idleTimeoutMs, chunkSize, onInvalid).
describe('onLate on the sinks: createS3Sink({ batched }) and createS3Destination()', () => {
  let s3: LocalS3
  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket('on-late')
  })
  after(async () => { await s3.close() })

  describe('createS3Sink({ batched: { timeOf, onLate } })', () => {
    const runs = (acked: number[]): unknown[] => TIMES.map((at, i) => ({ ...run(i), at, [onDurable]: () => { acked.push(i) } }))
    const sink = (prefix: string, onLate?: string): ReturnType<typeof createS3Sink> => createS3Sink({
      type: 's3', bucket: 'on-late', ...s3.config, clock: manualClock(T0), prefix, batched: { timeOf, ...(onLate === undefined ? {} : { onLate }) }
    } as S3SinkConfig)

    for (const onLate of [undefined, 'partition'] as const) {
      it(`${onLate ?? 'by default'}: the late Run is stored under late/, announced and acknowledged`, async () => {
        const acked: number[] = []
        const late: unknown[] = []
        const prefix = `sink-${onLate ?? 'default'}`
        const s = sink(prefix, onLate)
        s.on('late', (l: { index: number }) => late.push(l.index))
        await pipeline(source(runs(acked)), s)
        expect(late).to.deep.equal([1])
        expect(((await s3.readRecords('on-late', `${prefix}/late/`)) as Array<{ at: number }>).map((r) => r.at)).to.deep.equal([T0])
        expect((await s3.listKeys('on-late', `${prefix}/`)).filter((k) => !k.startsWith(`${prefix}/late/`))).to.have.length(1)
        expect(acked.sort()).to.deep.equal([0, 1, 2])
      })
    }

    it('drop: the late Run is left out, announced and acknowledged', async () => {
      const acked: number[] = []
      const late: unknown[] = []
      const s = sink('sink-drop', 'drop')
      s.on('late', (l: { index: number }) => late.push(l.index))
      await pipeline(source(runs(acked)), s)
      expect(late).to.deep.equal([1])
      expect(await s3.listKeys('on-late', 'sink-drop/late/')).to.deep.equal([])
      expect(((await s3.readRecords('on-late', 'sink-drop/')) as Array<{ at: number }>).map((r) => r.at)).to.deep.equal([T0 + 120_000, T0 + 120_001])
      expect(acked.sort()).to.deep.equal([0, 1, 2])
    })

    it('error: the sink fails with ERR_LATE_RECORD naming the Run, and stores no object', async () => {
      const acked: number[] = []
      const err = await pipeline(source(runs(acked)), sink('sink-error', 'error')).then(() => null, (e: unknown) => e)
      expect(err).to.be.instanceOf(LateRecordError).and.to.include({ code: 'ERR_LATE_RECORD', index: 1, time: T0 })
      expect(await s3.listKeys('on-late', 'sink-error/')).to.deep.equal([])
      expect(acked).to.deep.equal([])
    })

    it('on a batched route too', async () => {
      const late: unknown[] = []
      const s = createS3Sink({
        type: 's3', bucket: 'on-late', ...s3.config, clock: manualClock(T0), prefix: 'routed', routes: [{ name: 'all', batched: { timeOf, onLate: 'drop' } }]
      })
      s.on('late', (l: { index: number }) => late.push(l.index))
      await pipeline(source(runs([])), s)
      expect(late).to.deep.equal([1])
      expect(((await s3.readRecords('on-late', 'routed/')) as Array<{ at: number }>).map((r) => r.at)).to.deep.equal([T0 + 120_000, T0 + 120_001])
    })

    it('is checked with the other fields: a bad value, or onLate without timeOf, is an issue at its path', () => {
      const issues = (batched: unknown): string[] => {
        try {
          createS3Sink({ type: 's3', bucket: 'on-late', ...s3.config, batched } as S3SinkConfig)
        } catch (err) {
          expect(err).to.be.instanceOf(ConfigError).with.property('code', 'ERR_S3_SINK_CONFIG')
          return (err as ConfigError).issues.map((i) => i.path)
        }
        throw new Error('no ConfigError')
      }
      expect(issues({ timeOf, onLate: 'skip' })).to.deep.equal(['batched.onLate'])
      expect(issues({ onLate: 'drop' })).to.deep.equal(['batched.onLate'])
      // Each bad layout field is reported, with the others.
      expect(issues({ onLate: 'drop', maxOpenPartitions: 0 }).sort()).to.deep.equal(['batched.maxOpenPartitions', 'batched.onLate'])
      expect(issues({ timeOf: 'at', onLate: 'skip' }).sort()).to.deep.equal(['batched.onLate', 'batched.timeOf'])
    })
  })

  describe('idleTimeoutMs, chunkSize and onInvalid, as minuteWindow() and --idle-timeout-ms, --chunk-size, --on-invalid', () => {
    it('createS3Sink({ batched: { timeOf, idleTimeoutMs } }): a quiet feed\'s event-time batch is stored once idle that long', async () => {
      const clock = manualClock(T0)
      const s = createS3Sink({ type: 's3', bucket: 'on-late', ...s3.config, clock, prefix: 'idle-sink', batched: { timeOf, idleTimeoutMs: 5000, chunkSize: 1024 } } as S3SinkConfig)
      const objects: unknown[] = []
      s.on('object', (o) => objects.push(o))
      s.write({ ...run(0), at: T0 })
      clock.advance(5000)
      await until(() => objects.length === 1, 'the idle batch stored before the input ended')
      s.end()
      await once(s, 'close')
      expect(((await s3.readRecords('on-late', 'idle-sink/')) as Array<{ at: number }>).map((r) => r.at)).to.deep.equal([T0])
    })

    it('createS3Destination({ timeOf, idleTimeoutMs, chunkSize }): the same, per pair', async () => {
      const clock = manualClock(T0)
      const d = createS3Destination({ ...s3.config, bucket: 'on-late', clock, timeOf, idleTimeoutMs: 5000, chunkSize: 1024 })
      const big = 'x'.repeat(3000) // more than one chunk
      d.send({ prefix: 'idle-dest', payload: { i: 0, at: T0, big } })
      clock.advance(5000)
      await until(() => d.stats.objects === 1, 'the idle batch stored before flush()')
      await d.close()
      expect(((await s3.readRecords('on-late', 'idle-dest/')) as Array<{ big: string }>).map((r) => r.big)).to.deep.equal([big])
    })

    it('createS3Sink({ batched: { onInvalid } }): a Run JSON cannot write fails the sink by default, or is skipped or dead-lettered, announced and acknowledged', async () => {
      const runs = (acked: number[]): unknown[] => [0, 1, 2].map((i) => ({ ...run(i), ...(i === 1 ? { big: 1n } : {}), [onDurable]: () => { acked.push(i) } }))
      const sink = (prefix: string, onInvalid?: string): ReturnType<typeof createS3Sink> => createS3Sink({
        type: 's3', bucket: 'on-late', ...s3.config, clock: manualClock(T0), prefix, batched: onInvalid === undefined ? true : { onInvalid }
      } as S3SinkConfig)
      const failing = await pipeline(source(runs([])), sink('invalid-error')).then(() => null, (e: unknown) => e)
      expect(failing).to.include({ code: 'ERR_SERIALIZE', index: 1 })
      for (const onInvalid of ['skip', 'dead-letter']) {
        const acked: number[] = []
        const invalid: number[] = []
        const s = sink(`invalid-${onInvalid}`, onInvalid)
        s.on('invalid', ({ index }: { index: number }) => invalid.push(index))
        await pipeline(source(runs(acked)), s)
        expect(invalid, onInvalid).to.deep.equal([1])
        expect(acked.sort(), onInvalid).to.deep.equal([0, 1, 2])
        const keys = await s3.listKeys('on-late', `invalid-${onInvalid}/`)
        expect(keys.filter((k) => k.includes('/dead-letter/')), onInvalid).to.have.length(onInvalid === 'dead-letter' ? 1 : 0)
        const stored = (await s3.readRecords('on-late', `invalid-${onInvalid}/2026/`)) as Array<{ apiInfo: { runId: string } }>
        expect(stored.map((r) => r.apiInfo.runId), onInvalid).to.deep.equal(['run-0', 'run-2'])
      }
    })

    it('are checked with the other options: idleTimeoutMs needs timeOf, both have the window\'s ranges', () => {
      let err: unknown
      try { createS3Sink({ type: 's3', bucket: 'on-late', ...s3.config, batched: { idleTimeoutMs: 5000, chunkSize: 0 } } as S3SinkConfig) } catch (e) { err = e }
      expect((err as ConfigError).issues.map((i) => i.path).sort()).to.deep.equal(['batched.chunkSize', 'batched.idleTimeoutMs'])
      try { createS3Sink({ type: 's3', bucket: 'on-late', ...s3.config, batched: { onInvalid: 'ignore' } } as never) } catch (e) { err = e }
      expect((err as ConfigError).issues.map((i) => i.path)).to.deep.equal(['batched.onInvalid'])
      try { createS3Destination({ ...s3.config, timeOf, idleTimeoutMs: 0, chunkSize: 'big' } as never) } catch (e) { err = e }
      expect((err as InvalidOptionError).issues.map((i) => i.option).sort()).to.deep.equal(['options.chunkSize', 'options.idleTimeoutMs'])
    })
  })

  describe('createS3Destination({ timeOf, onLate })', () => {
    const destination = (onLate?: string): ReturnType<typeof createS3Destination> => createS3Destination({
      ...s3.config, bucket: 'on-late', clock: manualClock(T0), timeOf, ...(onLate === undefined ? {} : { onLate })
    } as Parameters<typeof createS3Destination>[0])
    const send = (d: ReturnType<typeof createS3Destination>, prefix: string, acked: number[]): void => {
      TIMES.forEach((at, i) => d.send({ prefix, payload: { i, at }, onDurable: () => { acked.push(i) } }))
    }

    for (const onLate of [undefined, 'partition'] as const) {
      it(`${onLate ?? 'by default'}: the late payload is stored under late/, counted in late and delivered`, async () => {
        const acked: number[] = []
        const prefix = `dest-${onLate ?? 'default'}`
        const d = destination(onLate)
        const late: number[] = []
        d.on('late', (l: { payload: { i: number } }) => late.push(l.payload.i))
        send(d, prefix, acked)
        await d.close()
        expect(late).to.deep.equal([1])
        expect(d.stats).to.deep.equal({ queued: 3, delivered: 3, objects: 2, failed: 0, pending: 0, late: 1, dropped: 0 })
        expect(((await s3.readRecords('on-late', `${prefix}/late/`)) as Array<{ i: number }>).map((r) => r.i)).to.deep.equal([1])
        expect(acked.sort()).to.deep.equal([0, 1, 2])
      })
    }

    it('drop: the late payload is left out, acknowledged, counted in late and dropped, never failed or pending', async () => {
      const acked: number[] = []
      const d = destination('drop')
      const late: number[] = []
      d.on('late', (l: { payload: { i: number } }) => late.push(l.payload.i))
      send(d, 'dest-drop', acked)
      await d.close()
      expect(late).to.deep.equal([1])
      expect(d.stats).to.deep.equal({ queued: 3, delivered: 2, objects: 1, failed: 0, pending: 0, late: 1, dropped: 1 })
      expect(((await s3.readRecords('on-late', 'dest-drop/')) as Array<{ i: number }>).map((r) => r.i)).to.deep.equal([0, 2])
      expect(acked.sort()).to.deep.equal([0, 1, 2])
    })

    it('drop: a pair whose payloads were all stored or dropped is idle, and flush() does not wait on the dropped one', async () => {
      const d = destination('drop')
      send(d, 'dest-drop-flush', [])
      await d.flush()
      expect(d.stats).to.include({ pending: 0, dropped: 1 })
      await d.close()
    })

    it('error: the pair fails with ERR_LATE_RECORD, emitted once and rejecting close(); its payloads count as failed', async () => {
      const acked: number[] = []
      const d = destination('error')
      const errors: unknown[] = []
      d.on('error', (err) => errors.push(err))
      send(d, 'dest-error', acked)
      const err = await d.close().then(() => null, (e: unknown) => e)
      expect(err).to.be.instanceOf(LateRecordError).and.to.include({ code: 'ERR_LATE_RECORD', index: 1, time: T0 })
      expect(errors).to.deep.equal([err])
      expect(d.stats).to.include({ queued: 3, delivered: 0, failed: 3, pending: 0, late: 0, dropped: 0 })
      expect(await s3.listKeys('on-late', 'dest-error/')).to.deep.equal([])
      expect(acked).to.deep.equal([])
    })

    it('is checked where the destination is built: a bad value, or onLate without timeOf, names options.onLate', () => {
      for (const options of [{ timeOf, onLate: 'skip' }, { onLate: 'drop' }]) {
        expect(() => createS3Destination({ ...s3.config, ...options } as never)).to.throw(InvalidOptionError).with.property('option', 'options.onLate')
      }
      let err: InvalidOptionError | undefined
      try { createS3Destination({ ...s3.config, timeOf: 'at', onLate: 'skip', maxOpenPartitions: 0 } as never) } catch (e) { err = e as InvalidOptionError }
      expect(err!.issues.map((i) => i.option).sort()).to.deep.equal(['options.maxOpenPartitions', 'options.onLate', 'options.timeOf'])
    })
  })
})
