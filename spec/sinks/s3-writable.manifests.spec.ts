import { expect } from 'chai'
import { Readable } from 'node:stream'
import { PutObjectCommand, S3Client, type PutObjectCommandInput } from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import type { Batch } from '../../lib/batch.js'
import { ConfigError, InvalidOptionError, KeyTemplateError, S3UploadError } from '../../lib/errors.js'
import { createS3Destination } from '../../lib/sinks/create-s3-destination.js'
import { createS3Sink } from '../../lib/sinks/create-s3-sink.js'
import type { Manifest } from '../../lib/internal/manifest-tracker.js'
import { keyTemplate } from '../../lib/key-template.js'
import type { ManifestWritten } from '../../lib/sinks/manifest-written.js'
import { s3Writable } from '../../lib/sinks/s3-writable.js'
import { compress } from '../../lib/stages/compress.js'
import { minuteWindow } from '../../lib/stages/minute-window.js'
import { manualClock } from '../helpers/manual-clock.js'
import { sha256, startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { source } from '../helpers/streams.js'

const T0 = Date.UTC(2026, 10, 25, 14, 0)
const W = 60_000

describe('s3Writable({ keyTemplate, manifests })', () => {
  let s3: LocalS3
  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket('manifests')
  })
  after(async () => { await s3.close() })

  it('names batches by the template and writes one manifest per window and partition, after its objects', async () => {
    const t = keyTemplate('{prefix}api={api}/dt={YYYY}-{MM}-{DD}/{HH}{mm}-{id}{ext}')
    // 3 windows x 2 APIs, shuffled within the allowed lateness; small maxRecords splits some windows into several objects.
    const records = Array.from({ length: 240 }, (_, i) => ({ i, api: i % 2 === 0 ? 'search' : 'detail', t: T0 + ((i * 7919) % (3 * W)) }))
    const sink = s3Writable({ ...s3.config, bucket: 'manifests', prefix: 'p1', keyTemplate: t, manifests: true, concurrency: 8 })
    const manifests: ManifestWritten[] = []
    const objects: string[] = []
    sink.on('manifest', (m: ManifestWritten) => { manifests.push(m); expect(objects).to.include.members(m.manifest.objects.map((o) => o.key)) })
    sink.on('object', ({ key }: { key: string }) => objects.push(key))
    await pipeline(source(records), minuteWindow({ clock: manualClock(T0), partitionBy: t.fields, timeOf: (r) => (r as { t: number }).t, allowedLatenessMs: 3 * W, maxRecords: 15 }), compress(), sink)

    expect(manifests).to.have.length(6)
    const keys = await s3.listKeys('manifests', 'p1/')
    const manifestKeys = keys.filter((k) => k.startsWith('p1/_manifests/'))
    expect(manifestKeys.sort()).to.deep.equal(manifests.map((m) => m.key).sort())
    for (const key of manifestKeys) expect(key).to.match(/^p1\/_manifests\/2026\/11\/25\/14\/2026-11-25-14-0[0-2]-00-[0-9a-f]{64}\.json$/)
    let total = 0
    for (const { key } of manifests) {
      const manifest = JSON.parse((await s3.getObject('manifests', key)).body.toString()) as Manifest
      const api = manifest.fields!.api!
      const start = Date.parse(manifest.window.start)
      const expected = records.filter((r) => r.api === api && r.t >= start && r.t < start + W)
      expect(manifest.records).to.equal(expected.length)
      expect(manifest.minEventTime).to.equal(new Date(Math.min(...expected.map((r) => r.t))).toISOString())
      expect(manifest.maxEventTime).to.equal(new Date(Math.max(...expected.map((r) => r.t))).toISOString())
      expect(manifest.objects.length).to.equal(Math.ceil(expected.length / 15))
      const stored: number[] = []
      for (const object of manifest.objects) {
        expect(object.key).to.match(new RegExp(`^p1/api=${api}/dt=2026-11-25/140[0-2]-[0-9a-f]{64}\\.gz$`))
        const body = (await s3.getObject('manifests', object.key)).body
        // s3rver returns no checksum: the manifest carries the SHA-256 of the bytes sent, which must be the bytes stored.
        expect(object.checksum).to.deep.equal({ algorithm: 'SHA256', value: sha256(body) })
        expect(object.storedBytes).to.equal(body.length)
        const lines = gunzipSync(body).toString()
        expect(object.rawBytes).to.equal(Buffer.byteLength(lines))
        stored.push(...lines.split('\n').filter(Boolean).map((l) => (JSON.parse(l) as { i: number }).i))
      }
      expect(stored.sort((a, b) => a - b)).to.deep.equal(expected.map((r) => r.i).sort((a, b) => a - b))
      total += manifest.records
    }
    expect(total).to.equal(records.length)
  })

  it('writes no manifest for a window whose object failed', async () => {
    const broken = new Readable({ read () { this.destroy(new Error('source broke')) } })
    const batches: Batch[] = [
      { kind: 'batch', body: Readable.from([Buffer.from('{"a":1}\n')]), windowStart: T0, windowEnd: T0 + W, openedAt: T0, seq: 0, contentType: 'application/x-ndjson', stats: { records: 1, bytes: 8 } },
      { kind: 'batch', body: broken, windowStart: T0, windowEnd: T0 + W, openedAt: T0, seq: 1, contentType: 'application/x-ndjson', stats: { records: 1, bytes: 8, windowClosed: true } }
    ]
    const sink = s3Writable({ ...s3.config, bucket: 'manifests', prefix: 'p2', manifests: true })
    const err = await pipeline(source(batches), sink).catch((e: unknown) => e)
    expect(err).to.be.instanceOf(Error)
    expect(await s3.listKeys('manifests', 'p2/_manifests/')).to.deep.equal([])
  })

  describe('a manifest is retried and fails like an object', () => {
    const closedBatch = (): Batch => ({ kind: 'batch', body: Readable.from([Buffer.from('{"a":1}\n')]), windowStart: T0, windowEnd: T0 + W, openedAt: T0, seq: 0, contentType: 'application/x-ndjson', stats: { records: 1, bytes: 8, windowClosed: true } })
    const failing = (code: number, name: string, times: number): S3Client => {
      const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } })
      let failures = 0
      mockClient(client).on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
        if (input.Key?.includes('_manifests/') === true && failures++ < times) throw Object.assign(new Error(name), { name, $metadata: { httpStatusCode: code } })
        return { ETag: '"e"' }
      })
      return client
    }

    it("a 500 is retried: 'retry' names the manifest's key, then 'manifest' comes", async () => {
      const sink = s3Writable({ client: failing(500, 'InternalError', 1), bucket: 'manifests', prefix: 'p3', manifests: true })
      const retried: string[] = []
      const written: string[] = []
      sink.on('retry', ({ key }: { key: string }) => retried.push(key))
      sink.on('manifest', ({ key }: ManifestWritten) => written.push(key))
      await pipeline(source([closedBatch()]), sink)
      expect(written).to.have.length(1)
      expect(written[0]).to.match(/^p3\/_manifests\//)
      expect(retried).to.deep.equal(written)
    })

    it('a 403 fails the sink with ERR_S3_UPLOAD naming the manifest, after one attempt', async () => {
      const sink = s3Writable({ client: failing(403, 'AccessDenied', Infinity), bucket: 'manifests', prefix: 'p4', manifests: true })
      const retried: string[] = []
      sink.on('retry', ({ key }: { key: string }) => retried.push(key))
      const err = await pipeline(source([closedBatch()]), sink).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(S3UploadError).with.property('code', 'ERR_S3_UPLOAD')
      expect((err as S3UploadError).key).to.match(/^p4\/_manifests\//)
      expect(retried).to.deep.equal([])
    })
  })

  it('takes a manifest key template; a template needing fields the batch lacks fails with ERR_KEY_TEMPLATE', async () => {
    const sink = s3Writable({ ...s3.config, bucket: 'manifests', manifests: { keyTemplate: 'm/{YYYY}{MM}{DD}/{HH}{mm}.json' } })
    const written: string[] = []
    sink.on('manifest', ({ key }: ManifestWritten) => written.push(key))
    await pipeline(source([{ n: 1 }]), minuteWindow({ clock: manualClock(T0 + 5_000) }), sink)
    expect(written).to.deep.equal(['m/20261125/1400.json'])
    const err = await pipeline(source([{ n: 1 }]), minuteWindow({ clock: manualClock(T0) }), s3Writable({ ...s3.config, bucket: 'manifests', keyTemplate: '{a.b}/{id}' })).catch((e: unknown) => e)
    expect(err).to.be.instanceOf(KeyTemplateError).with.property('placeholder', '{a.b}')
  })

  it('manifests.timeZone dates the manifests\' keys (UTC by default, whatever the objects\' timeZone)', async () => {
    const keys = async (manifests: unknown): Promise<string[]> => {
      const sink = s3Writable({ ...s3.config, bucket: 'manifests', keyTemplate: 'o/{YYYY}{MM}{DD}-{HH}{mm}/{id}{ext}', timeZone: 'Asia/Tokyo', manifests } as never)
      const written: string[] = []
      sink.on('manifest', ({ key }: ManifestWritten) => written.push(key))
      await pipeline(source([{ n: 1 }]), minuteWindow({ clock: manualClock(T0 + 5_000) }), sink)
      return written
    }
    // 14:00 UTC is 23:00 in Tokyo (+9, no daylight saving) and 15:00 in Berlin (+1 in November).
    expect(await keys({ keyTemplate: 'tz/utc/{YYYY}{MM}{DD}-{HH}{mm}.json' })).to.deep.equal(['tz/utc/20261125-1400.json'])
    expect(await keys({ keyTemplate: 'tz/tokyo/{YYYY}{MM}{DD}-{HH}{mm}.json', timeZone: 'Asia/Tokyo' })).to.deep.equal(['tz/tokyo/20261125-2300.json'])
    const [berlin] = await keys({ timeZone: 'Europe/Berlin' })
    expect(berlin).to.match(/^_manifests\/2026\/11\/25\/15\/2026-11-25-15-00-00-[0-9a-f]{64}\.json$/)
    expect(await s3.listKeys('manifests', 'o/20261125-2300/')).to.have.length(3)
  })

  it('validates keyTemplate, timeZone and manifests when built', () => {
    for (const [options, option] of [
      [{ keyTemplate: '{nope' }, 'options.keyTemplate'],
      [{ keyTemplate: '{YYYY}' }, 'options.keyTemplate'],
      [{ timeZone: 'UTC' }, 'options.timeZone'],
      [{ keyTemplate: '{id}', timeZone: 'Nowhere/City' }, 'options.timeZone'],
      [{ manifests: 'yes' }, 'options.manifests'],
      [{ manifests: { keyTemplate: '{bad' } }, 'options.manifests.keyTemplate'],
      [{ manifests: { every: 1 } }, 'options.manifests.every'],
      [{ manifests: { timeZone: 'Nowhere/City' } }, 'options.manifests.timeZone'],
      [{ manifests: { timeZone: 9 } }, 'options.manifests.timeZone'],
      // Without {id}, the hour Berlin's clocks go back would give two windows one manifest key.
      [{ manifests: { keyTemplate: 'm/{YYYY}{MM}{DD}/{HH}{mm}.json', timeZone: 'Europe/Berlin' } }, 'options.manifests.keyTemplate']
    ] as const) {
      expect(() => s3Writable({ ...s3.config, bucket: 'b', ...options } as never)).to.throw(InvalidOptionError).with.property('option', option)
    }
    // A zone without daylight saving needs no {id}, nor one with it when the template has {id}.
    s3Writable({ ...s3.config, bucket: 'b', manifests: { keyTemplate: 'm/{YYYY}{MM}{DD}/{HH}{mm}.json', timeZone: 'Asia/Tokyo' } }).destroy()
    s3Writable({ ...s3.config, bucket: 'b', manifests: { keyTemplate: 'm/{HH}{mm}-{id}.json', timeZone: 'Europe/Berlin' } }).destroy()
  })

  it('the sinks built on it take manifests.timeZone and check it with their other options', () => {
    expect(() => createS3Destination({ ...s3.config, manifests: { timeZone: 'Nowhere/City' } })).to.throw(InvalidOptionError).with.property('option', 'options.manifests.timeZone')
    let err: unknown
    try { createS3Sink({ type: 's3', bucket: 'b', ...s3.config, batched: { manifests: { timeZone: 'Nowhere/City' } } }) } catch (e) { err = e }
    expect(err).to.be.instanceOf(ConfigError)
    expect((err as ConfigError).issues.map((i) => i.path)).to.deep.equal(['batched.manifests.timeZone'])
  })
})
