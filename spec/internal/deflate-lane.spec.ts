import { constants, deflateRawSync } from 'node:zlib'
import { expect } from 'chai'
import { DeflateLane } from '../../lib/internal/deflate-lane.js'
import { prng } from '../helpers/prng.js'

const KiB = 1024
const ROOM = 1024 * KiB + 4096

/** Lines that compress like a feed, different for each `seed`. */
function lines (bytes: number, seed: number): Buffer {
  const random = prng(seed)
  let text = ''
  for (let i = 0; text.length < bytes; i++) text += JSON.stringify({ i, api: 'runs', score: Math.floor(random() * 1000) }) + '\n'
  return Buffer.from(text).subarray(0, bytes)
}

async function deflated (lane: DeflateLane, block: Buffer): Promise<Buffer[]> {
  return await new Promise((resolve, reject) => {
    lane.run(block, (err, out) => { err === null ? resolve(out as Buffer[]) : reject(err) })
  })
}

describe('DeflateLane', () => {
  it('deflates each block alone, sync-flushed, byte for byte as a new engine would, block after block', async () => {
    const lane = DeflateLane.take(6, ROOM)
    for (const [size, seed] of [[300 * KiB, 1], [1, 2], [1024 * KiB, 3], [0, 4], [70 * KiB, 5]] as const) {
      const block = lines(size, seed)
      const out = await deflated(lane, block)
      expect(Buffer.concat(out)).to.deep.equal(deflateRawSync(block, { level: 6, finishFlush: constants.Z_SYNC_FLUSH }))
      // Copies of at most 64 KiB: no piece is a view of the lane's output buffer, which the next block overwrites.
      for (const piece of out) expect(piece.length).to.be.at.most(64 * KiB)
    }
    lane.release()
  })

  it('keeps its output when the next block reuses the lane', async () => {
    const lane = DeflateLane.take(1, ROOM)
    const first = lines(200 * KiB, 6)
    const out = await deflated(lane, first)
    const copy = Buffer.concat(out)
    await deflated(lane, lines(200 * KiB, 7))
    expect(Buffer.concat(out)).to.deep.equal(copy)
    lane.release()
  })

  it('is handed out again after release() for the same level and room, not for another', async () => {
    const lane = DeflateLane.take(3, ROOM)
    await deflated(lane, lines(10 * KiB, 8))
    lane.release()
    expect(DeflateLane.take(4, ROOM)).to.not.equal(lane)
    const again = DeflateLane.take(3, ROOM)
    expect(again).to.equal(lane)
    const block = lines(50 * KiB, 9)
    expect(Buffer.concat(await deflated(again, block))).to.deep.equal(deflateRawSync(block, { level: 3, finishFlush: constants.Z_SYNC_FLUSH }))
    again.release()
  })

  it('keeps at most four idle lanes per setting', () => {
    const lanes = Array.from({ length: 6 }, () => DeflateLane.take(2, ROOM))
    for (const lane of lanes) lane.release()
    const taken = Array.from({ length: 6 }, () => DeflateLane.take(2, ROOM))
    expect(taken.filter((lane) => lanes.includes(lane))).to.have.length(4)
    for (const lane of taken) lane.release()
  })

  it('refuses settings zlib refuses when it is made, synchronously', () => {
    expect(() => DeflateLane.take(42, ROOM)).to.throw(RangeError)
  })
})
