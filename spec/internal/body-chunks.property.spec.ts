import { expect } from 'chai'
import fc from 'fast-check'
import { systemClock } from '../../lib/clock.js'
import { BodySlabs } from '../../lib/internal/body-slabs.js'
import { OpenBatch } from '../../lib/internal/open-batch.js'

/** One write into the batch as the window makes them: a record's JSON text, a whole line, lines written whole, or a compressor asking for slabs. */
type Op =
  | { kind: 'text', text: string }
  | { kind: 'line', text: string }
  | { kind: 'whole', text: string, records: number }
  | { kind: 'ask' }

// Any Unicode (lone surrogates included: UTF-8 then has 3 bytes for one unit, the worst case the writer reserves),
// and now and then a record longer than a chunk or a slab, so records straddle both.
const text = fc.oneof(
  { arbitrary: fc.string({ maxLength: 30 }), weight: 4 },
  { arbitrary: fc.string({ maxLength: 30, unit: 'binary' }), weight: 2 },
  { arbitrary: fc.string({ maxLength: 30, unit: fc.constantFrom('é', '😀', '\ud800', 'x') }), weight: 2 },
  { arbitrary: fc.string({ minLength: 100, maxLength: 700, unit: fc.constantFrom('a', 'é', '😀') }), weight: 1 }
)
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: text.map((t) => ({ kind: 'text' as const, text: t })), weight: 12 },
  { arbitrary: text.map((t) => ({ kind: 'line' as const, text: t + '\n' })), weight: 3 },
  { arbitrary: fc.tuple(text, fc.nat({ max: 3 })).map(([t, records]) => ({ kind: 'whole' as const, text: t + '\n', records })), weight: 1 },
  { arbitrary: fc.constant({ kind: 'ask' as const }), weight: 1 }
)

interface Seen { chunk: Buffer, copy: Buffer, at: number }

describe('BodyChunks properties (through OpenBatch)', function () {
  this.timeout(30_000)

  it('the body is exactly the bytes added, counted exactly at every step; chunks never change once written; slabs are filled contiguously and aligned on their size', async () => {
    // Chunks of 16 - 300 bytes and slabs of 32 - 1500 (production: 64 KiB and a 1 MiB block): a record of up to 700
    // characters (2100 bytes) is then bigger than a chunk, bigger than a slab, or straddles both, within 1 - 60 ops.
    await fc.assert(fc.asyncProperty(fc.array(op, { minLength: 1, maxLength: 60 }), fc.integer({ min: 16, max: 300 }), fc.integer({ min: 32, max: 1500 }),
      async (ops, chunkSize, slabSize) => {
        const open = new OpenBatch({ windowStart: 0, windowEnd: 60_000, openedAt: 0, seq: 0, chunkSize, clock: systemClock })
        const seen: Seen[] = []
        let at = 0
        open.body.on('data', (chunk: Buffer) => {
          seen.push({ chunk, copy: Buffer.from(chunk), at })
          at += chunk.length
        })
        const expected: Buffer[] = []
        let bytes = 0
        let records = 0
        let asked = -1
        for (const o of ops) {
          if (o.kind === 'ask') {
            // Only the first ask counts (a body has one compressor).
            if (asked < 0) asked = bytes
            BodySlabs.ask(open.body, slabSize)
            continue
          }
          const b = Buffer.from(o.kind === 'text' ? o.text + '\n' : o.text)
          if (o.kind === 'text') open.addText(o.text)
          else if (o.kind === 'line') open.addLine(o.text)
          else open.writeLines(b, o.records)
          expected.push(b)
          bytes += b.length
          records += o.kind === 'whole' ? o.records : 1
          expect(open.bytes, 'bytes counted as they come').to.equal(bytes)
          expect(open.stats.records).to.equal(records)
        }
        open.close()
        await new Promise((resolve) => open.body.once('end', resolve))
        const body = Buffer.concat(seen.map((s) => s.chunk))
        expect(body.equals(Buffer.concat(expected))).to.equal(true)
        expect(open.batch.stats).to.deep.equal({ records, bytes })
        // A chunk handed to the body is never written into again: neither by a later record nor by the next slab.
        for (const s of seen) expect(s.chunk.equals(s.copy)).to.equal(true)
        const slabs = new Map<ArrayBufferLike, { start: number, end: number }>()
        for (const s of seen) {
          if (!BodySlabs.isSlab(s.chunk)) continue
          expect(asked, 'slabs only once asked').to.be.at.least(0)
          const slab = slabs.get(s.chunk.buffer)
          // The chunks of a slab follow each other in it, as in the body.
          if (slab !== undefined) expect(s.chunk.byteOffset).to.equal(slab.end)
          else {
            expect(s.chunk.byteOffset).to.equal(0)
            // A slab ends on a multiple of the slab size in the body: aligned, whether it is the first (asked mid-body) or not.
            expect((s.at + s.chunk.buffer.byteLength) % slabSize).to.equal(0)
          }
          slabs.set(s.chunk.buffer, { start: slab?.start ?? s.at, end: s.chunk.byteOffset + s.chunk.length })
        }
        // Every slab is filled to its last byte, but the body's last one and one cut short by lines written whole.
        const anyWhole = ops.some((o) => o.kind === 'whole')
        if (!anyWhole) {
          const last = [...slabs.keys()].at(-1)
          for (const [buffer, { end }] of slabs) if (buffer !== last) expect(end).to.equal(buffer.byteLength)
        }
      }), { numRuns: 150 })
  })
})
