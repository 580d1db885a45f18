import { constants, deflateRawSync, inflateRawSync } from 'node:zlib'
import { expect } from 'chai'
import { DeflateLane, WINDOW } from '../../lib/internal/deflate-lane.js'
import { prng } from '../helpers/prng.js'
import { run as record } from '../helpers/streams.js'

const KiB = 1024

function ndjson (bytes: number): Buffer {
  let text = ''
  for (let i = 0; text.length < bytes; i++) text += JSON.stringify(record(i)) + '\n'
  return Buffer.from(text).subarray(0, bytes)
}

/** One block through `lane`; resolves with its output. */
async function compress (lane: DeflateLane, previous: Buffer | undefined, block: Buffer): Promise<Buffer> {
  return await new Promise((resolve, reject) => {
    lane.run(previous, block, (err, out) => {
      if (err !== null) reject(err)
      else resolve(Buffer.concat(Array.isArray(out) ? out : [out as Buffer]))
    })
  })
}

/** What a fresh engine per block makes: raw deflate with the previous block's tail as dictionary, sync-flushed. */
const reference = (level: number, previous: Buffer | undefined, block: Buffer): Buffer =>
  deflateRawSync(block, { level, finishFlush: constants.Z_SYNC_FLUSH, ...(previous === undefined ? {} : { dictionary: previous.subarray(previous.length - WINDOW) }) })

describe('DeflateLane', () => {
  it('makes, block after block on one engine, the bytes a fresh engine per block makes with the previous tail as dictionary', async () => {
    const data = ndjson(10 * 64 * KiB)
    // Output buffers smaller than a block's output: a block's output then spans two of them.
    const lane = new DeflateLane(6, 4 * KiB)
    try {
      for (let i = 0; i < 10; i++) {
        const previous = i === 0 ? undefined : data.subarray((i - 1) * 64 * KiB, i * 64 * KiB)
        const block = data.subarray(i * 64 * KiB, (i + 1) * 64 * KiB)
        const out = await compress(lane, previous, block)
        expect(out).to.deep.equal(reference(6, previous, block), `block ${i}`)
        expect(inflateRawSync(out, { finishFlush: constants.Z_SYNC_FLUSH, ...(previous === undefined ? {} : { dictionary: previous.subarray(previous.length - WINDOW) }) })).to.deep.equal(block)
      }
    } finally {
      lane.close()
    }
  })

  it('starts a fresh stream when there is no previous block (a new body on a used lane), and copies the previous tail at once', async () => {
    const a = Buffer.from(Array.from({ length: 96 * KiB }, prng(7)).map((x) => 97 + Math.floor(x * 4)))
    const b = ndjson(96 * KiB)
    const lane = new DeflateLane(1, 64 * KiB)
    try {
      await compress(lane, undefined, a)
      expect(await compress(lane, undefined, b)).to.deep.equal(reference(1, undefined, b))
      const previous = Buffer.from(a)
      const pending = compress(lane, previous, b)
      // Overwritten while the job runs: the lane primed itself from its own copy.
      previous.fill(0)
      expect(await pending).to.deep.equal(reference(1, a, b))
    } finally {
      lane.close()
    }
  })

  it('hands a failed job its error, and close() during a job ends without an uncaught error', async () => {
    const lane = new DeflateLane(6, 64 * KiB)
    lane.close()
    const err = await compress(lane, undefined, ndjson(64 * KiB)).then(() => null, (e: Error) => e)
    expect(err).to.be.instanceOf(Error)
    const busy = new DeflateLane(6, 64 * KiB)
    const pending = compress(busy, undefined, ndjson(256 * KiB)).then(() => 'done', () => 'failed')
    busy.close()
    expect(await pending).to.be.oneOf(['done', 'failed'])
  })
})
