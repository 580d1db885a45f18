import { expect } from 'chai'
import { InvalidOptionError } from '../../lib/errors.js'
import { createS3Destination } from '../../lib/sinks/create-s3-destination.js'
import { manualClock } from '../helpers/manual-clock.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'

const T0 = Date.UTC(2026, 10, 25, 14, 0)

describe('createS3Destination({ keyTemplate, timeOf, manifests })', () => {
  let s3: LocalS3
  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket('dest-layout')
  })
  after(async () => { await s3.close() })

  it('partitions each pair by the template\'s payload fields, windows by event time, writes manifests', async () => {
    const destination = createS3Destination({
      ...s3.config,
      bucket: 'dest-layout',
      clock: manualClock(T0),
      keyTemplate: '{prefix}kind={kind}/{HH}{mm}/{id}{ext}',
      timeOf: (p) => (p as { at: number }).at,
      allowedLatenessMs: 60_000,
      manifests: true
    })
    destination.on('error', () => {})
    for (let i = 0; i < 40; i++) destination.send({ prefix: 'events', payload: { i, kind: i % 2 === 0 ? 'click' : 'view', at: T0 + (i % 4 < 2 ? 0 : 60_000) + i } })
    await destination.close()
    const keys = await s3.listKeys('dest-layout', 'events/')
    expect(keys.filter((k) => !k.includes('_manifests')).map((k) => k.replace(/\/[0-9a-f]{64}\.gz$/, '')).sort())
      .to.deep.equal(['events/kind=click/1400', 'events/kind=click/1401', 'events/kind=view/1400', 'events/kind=view/1401'])
    expect(keys.filter((k) => k.startsWith('events/_manifests/'))).to.have.length(4)
    const records = (await s3.readRecords('dest-layout', 'events/kind=')) as Array<{ i: number }>
    expect(records.map((r) => r.i).sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 40 }, (_, i) => i))
    expect(destination.stats).to.deep.include({ queued: 40, delivered: 40, failed: 0, late: 0 })
  })

  it('counts late payloads in stats.late and announces each, storing them under late/', async () => {
    const destination = createS3Destination({ ...s3.config, bucket: 'dest-layout', clock: manualClock(T0), timeOf: (p) => (p as { at: number }).at, allowedLatenessMs: 1000 })
    destination.on('error', () => {})
    const late: Array<{ prefix: string, payload: { i: number }, time: number, watermark: number }> = []
    destination.on('late', (l) => late.push(l))
    const ats = [T0 + 120_000, T0, T0 + 119_500, T0 + 5_000, T0 + 121_000]
    ats.forEach((at, i) => destination.send({ prefix: 'lateness', payload: { i, at } }))
    await destination.close()
    expect(destination.stats).to.deep.include({ queued: 5, delivered: 5, late: 2 })
    expect(late.map((l) => [l.prefix, l.payload.i, l.time, l.watermark])).to.deep.equal([
      ['lateness/', 1, T0, T0 + 119_000], ['lateness/', 3, T0 + 5_000, T0 + 119_000]
    ])
    const lateRecords = (await s3.readRecords('dest-layout', 'lateness/late/')) as Array<{ i: number }>
    expect(lateRecords.map((r) => r.i).sort()).to.deep.equal([1, 3])
  })

  it('validates the layout options when built', () => {
    for (const [options, option] of [
      [{ keyTemplate: '{YYYY}' }, 'options.keyTemplate'],
      [{ allowedLatenessMs: 5 }, 'options.allowedLatenessMs'],
      [{ maxOpenPartitions: 0 }, 'options.maxOpenPartitions'],
      [{ manifests: 1 }, 'options.manifests']
    ] as const) {
      expect(() => createS3Destination({ ...s3.config, ...options } as never)).to.throw(InvalidOptionError).with.property('option', option)
    }
  })
})
