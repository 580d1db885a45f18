import { expect } from 'chai'
import fc from 'fast-check'
import { systemClock } from '../../lib/clock.js'
import { BlockBuffers, IDLE_MS } from '../../lib/internal/block-buffers.js'
import { manualClock } from '../helpers/manual-clock.js'

const KiB = 1024
/** What BlockBuffers keeps at most (its KEEP_BYTES). */
const KEEP_BYTES = 6 * 1024 * KiB
// Sizes no other spec uses (the kept buffers are shared by the whole process): two small ones and one of 1 MiB and a
// bit, seven of which pass the 6 MiB that is kept, so giving back evicts.
const SIZES = [64 * KiB + 101, 200 * KiB + 103, 1024 * KiB + 107]

type Op = { kind: 'take', size: number } | { kind: 'keep', pick: number, count: number, twice: boolean } | { kind: 'wait', ms: number }
const op: fc.Arbitrary<Op> = fc.oneof(
  { arbitrary: fc.constantFrom(...SIZES).map((size) => ({ kind: 'take' as const, size })), weight: 4 },
  { arbitrary: fc.record({ kind: fc.constant('keep' as const), pick: fc.nat(), count: fc.integer({ min: 1, max: 3 }), twice: fc.boolean() }), weight: 3 },
  // Mostly less than the idle time, sometimes just under or over it.
  { arbitrary: fc.oneof(fc.nat({ max: 20_000 }), fc.constantFrom(IDLE_MS - 1, IDLE_MS, IDLE_MS + 1)).map((ms) => ({ kind: 'wait' as const, ms })), weight: 2 }
)

describe('BlockBuffers properties', function () {
  this.timeout(30_000)

  it('never hands out a buffer still in use (a pattern written into it stays), keeps at most 6 MiB, and lets go only after IDLE_MS unused, leaving no timer', () => {
    fc.assert(fc.property(fc.array(op, { minLength: 1, maxLength: 40 }), (ops) => {
      const clock = manualClock()
      BlockBuffers.useClock(clock)
      try {
        /** Buffers taken and not given back, each filled with its own byte. */
        const owned = new Map<Buffer, number>()
        let mark = 0
        let lastUse = clock.now()
        for (const o of ops) {
          if (o.kind === 'take') {
            const b = BlockBuffers.take(o.size)
            lastUse = clock.now()
            expect(b.length).to.equal(o.size)
            expect([...owned.keys()].some((x) => x.buffer === b.buffer), 'a buffer handed out twice').to.equal(false)
            mark = (mark + 1) % 256
            b.fill(mark)
            owned.set(b, mark)
          } else if (o.kind === 'keep') {
            const mine = [...owned.keys()]
            const back = mine.length === 0 ? [] : Array.from({ length: Math.min(o.count, mine.length) }, (_, i) => mine[(o.pick + i) % mine.length] as Buffer)
            BlockBuffers.keep(o.twice ? [...back, ...back] : back) // the same buffer twice in one call: kept once
            lastUse = clock.now()
            for (const b of back) owned.delete(b)
          } else {
            const idleBefore = clock.now() - lastUse
            const keptBefore = BlockBuffers.keptBytes
            clock.advance(o.ms)
            if (idleBefore + o.ms >= IDLE_MS) {
              expect(BlockBuffers.keptBytes, 'let go after IDLE_MS unused').to.equal(0)
              expect(clock.pending, 'no idle check left once nothing is kept').to.equal(0)
            } else expect(BlockBuffers.keptBytes, 'kept while in use').to.equal(keptBefore)
          }
          expect(BlockBuffers.keptBytes).to.be.at.most(KEEP_BYTES)
          // Its first, middle and last bytes: another owner would have filled it whole.
          for (const [b, m] of owned) for (const at of [0, b.length >> 1, b.length - 1]) expect(b[at], 'a buffer in use was written by someone else').to.equal(m)
        }
        clock.advance(IDLE_MS)
        expect(BlockBuffers.keptBytes).to.equal(0)
        expect(clock.pending).to.equal(0)
      } finally {
        BlockBuffers.useClock(systemClock)
      }
    }), { numRuns: 100 })
  })
})
