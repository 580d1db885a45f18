import type { Transform } from 'node:stream'
import { gunzipSync } from 'node:zlib'
import { expect } from 'chai'
import fc from 'fast-check'
import type { Batch } from '../../lib/batch.js'
import { compress, gzip, minuteWindow, type CompressOptions } from '../../lib/index.js'
import { canGzipInParallel } from '../../lib/internal/parallel-gzip.js'
import { hasZstd } from '../../lib/internal/zstd.js'
import { manualClock } from '../helpers/manual-clock.js'
import { bytesOf, collect, source } from '../helpers/streams.js'
import { unzstdSync } from '../helpers/zstd.js'

const KiB = 1024

/** The stage as users build it: the defaults first (one gzip stream), then the other settings a batch body can go through. */
const STAGES: Array<[string, boolean, () => Transform]> = [
  ['gzip() (defaults)', true, () => gzip()],
  ['compress() (defaults)', true, () => compress()],
  ['gzip({ threads: 2, blockSize: 64 KiB })', canGzipInParallel(), () => gzip({ threads: 2, blockSize: 64 * KiB })],
  ['compress({ compression: "zstd", blockSize: 64 KiB })', hasZstd(), () => compress({ compression: 'zstd', blockSize: 64 * KiB } satisfies CompressOptions)],
  ['compress({ compression: "none" })', true, () => compress({ compression: 'none' })]
]

const decode = (encoding: string | undefined, body: Buffer): Buffer => encoding === 'gzip' ? gunzipSync(body) : encoding === 'zstd' ? unzstdSync(body) : body

// Records of up to ~1.5 KiB, now and then one of random text; batches cut at 1 - 200 KiB, so a batch holds one record,
// or several 64 KiB blocks (past the least block size), and the window's slab body straddles blocks.
const record = fc.oneof(
  fc.record({ i: fc.nat(), api: fc.constantFrom('runs', 'search', 'é😀') }),
  fc.record({ note: fc.string({ maxLength: 1500, size: 'max' }) })
)
const feed = fc.array(record, { minLength: 1, maxLength: 250, size: 'max' })

describe('compression stages: properties', function () {
  this.timeout(60_000)

  for (const [name, available, make] of STAGES) {
    it(`${name}: every batch body decodes to exactly the window's batch, all of them to the records in order; ONE gzip member per body`, async function () {
      if (!available) this.skip()
      await fc.assert(fc.asyncProperty(feed, fc.integer({ min: 1 * KiB, max: 200 * KiB }), async (records, maxBytes) => {
        const lines = records.map((r) => JSON.stringify(r) + '\n')
        const fits = Math.max(maxBytes, ...lines.map((l) => Buffer.byteLength(l)))
        const window = minuteWindow({ clock: manualClock(), maxBytes: fits })
        const batches = await collect<Batch>(source(records).pipe(window).pipe(make()))
        const bodies = await Promise.all(batches.map(async (b) => await bytesOf(b.body)))
        const texts = batches.map((b, i) => decode(b.contentEncoding, bodies[i] as Buffer))
        expect(Buffer.concat(texts).toString()).to.equal(lines.join(''))
        batches.forEach((b, i) => {
          const body = bodies[i] as Buffer
          expect((texts[i] as Buffer).length).to.equal(b.stats.bytes).and.at.most(fits)
          if (b.contentEncoding !== 'gzip') return
          // One member: gunzip reads members one after another, so a second header would still decode; the first
          // member's trailer must be at the body's end and count every byte.
          expect(body.readUInt32LE(body.length - 4)).to.equal(b.stats.bytes % 2 ** 32)
          expect(body.subarray(2).indexOf(Buffer.from([0x1f, 0x8b, 8, 0, 0, 0, 0, 0]))).to.equal(-1)
        })
      }), { numRuns: 15 })
    })
  }
})
