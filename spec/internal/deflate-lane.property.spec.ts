import { inflateRawSync } from 'node:zlib'
import { expect } from 'chai'
import fc from 'fast-check'
import { DeflateLane } from '../../lib/internal/deflate-lane.js'
import { FINAL_BLOCK } from '../../lib/internal/parallel-gzip.js'

const KiB = 1024
/** Room for a 64 KiB block's worst case, as ParallelGzip reserves it (stored blocks, 5 bytes per 16 KiB, the sync flush). */
const ROOM = 64 * KiB + 5 * 4 + 64

/** A block of `size` bytes: text that deflate matches far back, or bytes it cannot shrink (its output then takes several 64 KiB pieces). */
function block (size: number, random: boolean, seed: number): Buffer {
  if (random) {
    const words = new Uint32Array(Math.ceil(size / 4))
    let x = seed | 1
    for (let i = 0; i < words.length; i++) { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; words[i] = x >>> 0 }
    return Buffer.from(words.buffer, 0, size)
  }
  let text = ''
  for (let i = 0; text.length < size; i++) text += `{"i":${(seed + i) % 97},"api":"runs"}\n`
  return Buffer.from(text).subarray(0, size)
}

interface Job { data: Buffer, pieces: Buffer[], copies: Buffer[] }

describe('DeflateLane properties', function () {
  this.timeout(30_000)

  it('each block\'s output inflates alone to exactly the block, on lanes reused across rounds; output handed out is never overwritten by a later job', async () => {
    // Rounds of 1 - 3 lanes at once, blocks of 1 byte to 64 KiB: lanes go back to the idle pool (up to 4 kept per
    // setting) and come out again, so a lane's later block must not reach back into an earlier one, and its output
    // buffer is rewound for every job.
    const job = fc.record({ size: fc.integer({ min: 1, max: 64 * KiB }), random: fc.boolean(), seed: fc.nat() })
    await fc.assert(fc.asyncProperty(fc.array(fc.array(job, { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 6 }), fc.constantFrom(1, 6, 9),
      async (rounds, level) => {
        const done: Job[] = []
        for (const round of rounds) {
          const lanes = round.map(() => DeflateLane.take(level, ROOM))
          const ran = await Promise.all(round.map(async ({ size, random, seed }, i) => {
            const data = block(size, random, seed)
            const pieces = await new Promise<Buffer[]>((resolve, reject) => {
              (lanes[i] as DeflateLane).run(data, (err, out) => { if (err !== null) reject(err); else resolve(Array.isArray(out) ? out : [out as Buffer]) })
            })
            return { data, pieces, copies: pieces.map((p) => Buffer.from(p)) }
          }))
          for (const lane of lanes) lane.release()
          done.push(...ran)
        }
        for (const { data, pieces, copies } of done) {
          pieces.forEach((p, i) => { expect(p.equals(copies[i] as Buffer), 'a piece changed after its job').to.equal(true) })
          expect(inflateRawSync(Buffer.concat([...pieces, FINAL_BLOCK])).equals(data)).to.equal(true)
        }
      }), { numRuns: 40 })
  })
})
