import { expect } from 'chai'
import { PassThrough } from 'node:stream'
import type { Batch } from '../../lib/batch.js'
import { keyTemplate } from '../../lib/key-template.js'
import { ManifestTracker, type Manifest, type ManifestObject } from '../../lib/internal/manifest-tracker.js'

const W = Date.UTC(2026, 10, 25, 14, 3)
function batch (seq: number, extra: Partial<Batch> = {}, windowClosed = false): Batch {
  return { kind: 'batch', body: new PassThrough(), windowStart: W, windowEnd: W + 60_000, openedAt: W, seq, contentType: 'application/x-ndjson', stats: { records: 1, bytes: 10, ...(windowClosed ? { windowClosed } : {}) }, ...extra }
}
function object (key: string, min: string | null = null): ManifestObject {
  return { key, etag: '"e"', records: 2, rawBytes: 20, storedBytes: 10, minEventTime: min, maxEventTime: min, checksum: { algorithm: 'SHA256', value: 'ab' } }
}

describe('internal/ManifestTracker', () => {
  let written: Array<{ key: string, manifest: Manifest }>
  let tracker: ManifestTracker
  beforeEach(() => {
    written = []
    tracker = new ManifestTracker({
      bucket: 'b',
      template: keyTemplate('{prefix}_manifests/{YYYY}{MM}{DD}T{HH}{mm}/{id}.json', { unique: false }),
      prefix: 'runs/',
      write: (key, manifest) => written.push({ key, manifest })
    })
  })

  it('writes once the window is closed and every object of it is complete', () => {
    const a = batch(0)
    const b = batch(1, {}, true)
    tracker.started(a)
    tracker.started(b)
    // b closes the window, but a is still uploading: no manifest yet.
    b.stats.windowClosed = true
    tracker.completed(b, object('k1', '2026-11-25T14:03:05.000Z'))
    expect(written).to.have.length(0)
    tracker.completed(a, object('k0', '2026-11-25T14:03:01.000Z'))
    expect(written).to.have.length(1)
    const { key, manifest } = written[0]!
    expect(key).to.match(/^runs\/_manifests\/20261125T1403\/[0-9a-f]{64}\.json$/)
    expect(manifest).to.deep.include({ version: 1, bucket: 'b', partition: null, fields: null, records: 4, rawBytes: 40, storedBytes: 20,
      minEventTime: '2026-11-25T14:03:01.000Z', maxEventTime: '2026-11-25T14:03:05.000Z' })
    expect(manifest.window).to.deep.equal({ start: '2026-11-25T14:03:00.000Z', end: '2026-11-25T14:04:00.000Z' })
    expect(manifest.objects.map((o) => o.key)).to.deep.equal(['k0', 'k1'])
  })

  it('keeps partitions apart and puts special ones in their folder', () => {
    const p1 = batch(0, { partition: 'api=a', fields: { api: 'a' } }, true)
    const late = batch(1, { partition: 'late' }, true)
    for (const b of [p1, late]) tracker.started(b)
    tracker.completed(p1, object('a'))
    tracker.completed(late, object('l'))
    expect(written.map((w) => w.manifest.partition)).to.deep.equal(['api=a', 'late'])
    expect(written[0]!.manifest.fields).to.deep.equal({ api: 'a' })
    expect(written[1]!.key).to.match(/^runs\/late\/_manifests\//)
  })

  it('never writes after a failure, and writes the open windows at the end otherwise', () => {
    const a = batch(0)
    tracker.started(a)
    tracker.completed(a, object('a'))
    expect(written).to.have.length(0)
    tracker.finish()
    expect(written).to.have.length(1)
    const b = batch(1)
    tracker.started(b)
    tracker.failed()
    tracker.completed(b, object('b'))
    tracker.finish()
    expect(written).to.have.length(1)
  })
})
