import { once } from 'node:events'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { crc32, gunzipSync, inflateRawSync } from 'node:zlib'
import { expect } from 'chai'
import fc from 'fast-check'
import { systemClock } from '../../lib/clock.js'
import type { BlockDone } from '../../lib/internal/block-done.js'
import { BodySlabs } from '../../lib/internal/body-slabs.js'
import { OpenBatch } from '../../lib/internal/open-batch.js'
import { canGzipInParallel, ParallelGzip } from '../../lib/internal/parallel-gzip.js'
import { ZstdFrame } from '../../lib/internal/zstd-frame.js'
import { hasZstd } from '../../lib/internal/zstd.js'
import { unzstd, unzstdSync } from '../helpers/zstd.js'

const KiB = 1024

/** What a compressor's jobs were seen doing. */
interface Watch {
  inFlight: number
  maxInFlight: number
  /** Blocks whose bytes changed while their job ran: the pool thread would have read them torn. */
  torn: number
  /** Block buffers of copied (not in-place) input. */
  copiedBuffers: Set<ArrayBufferLike>
  inPlace: number
}

/** Wraps a compressor's `compress`: counts jobs in flight, and checks each block is untouched until its job ends. */
function watched<T extends ParallelGzip | ZstdFrame> (encoder: T): T & { watch: Watch } {
  const watch: Watch = { inFlight: 0, maxInFlight: 0, torn: 0, copiedBuffers: new Set(), inPlace: 0 }
  const target = encoder as unknown as { compress: (block: Buffer, done: BlockDone) => void }
  const compress = target.compress.bind(encoder)
  target.compress = (block, done) => {
    if (BodySlabs.isSlab(block)) watch.inPlace++
    else watch.copiedBuffers.add(block.buffer)
    const before = Buffer.from(block)
    watch.maxInFlight = Math.max(watch.maxInFlight, ++watch.inFlight)
    compress(block, (err, out) => {
      watch.inFlight--
      if (!block.equals(before)) watch.torn++
      done(err, out)
    })
  }
  return Object.assign(encoder, { watch })
}

/** One gzip member: a single header, one deflate stream over everything, and a trailer for the whole input (as parallel-gzip.spec.ts checks). */
function expectOneGzipMember (gz: Buffer, data: Buffer): void {
  expect([...gz.subarray(0, 4)]).to.deep.equal([0x1f, 0x8b, 8, 0])
  expect(inflateRawSync(gz.subarray(10, gz.length - 8)).equals(data)).to.equal(true)
  expect(gz.readUInt32LE(gz.length - 8)).to.equal(crc32(data))
  expect(gz.readUInt32LE(gz.length - 4)).to.equal(data.length % 2 ** 32)
  expect(gunzipSync(gz).equals(data)).to.equal(true)
}

/** Walks one zstd frame's header and blocks (RFC 8878, 3.1.1): the frame must end, last block and checksum, exactly at the end of `z`. */
function expectOneZstdFrame (z: Buffer): void {
  expect(z.readUInt32LE(0)).to.equal(0xfd2fb528)
  const fhd = z[4] as number
  const single = (fhd & 0x20) !== 0
  const fcs = [single ? 1 : 0, 2, 4, 8][fhd >> 6] as number
  let at = 5 + (single ? 0 : 1) + ([0, 1, 2, 4][fhd & 3] as number) + fcs
  for (;;) {
    const header = z.readUIntLE(at, 3)
    const type = (header >> 1) & 3
    expect(type, 'block type').to.be.below(3)
    at += 3 + (type === 1 ? 1 : header >> 3)
    if ((header & 1) === 1) break
  }
  if ((fhd & 4) !== 0) at += 4
  expect(at, 'one frame, nothing after it').to.equal(z.length)
}

// Records of a feed, some with random (incompressible) text, now and then one longer than a chunk: they straddle
// chunks, slabs and blocks. Up to 300 records of up to ~3 KiB: bodies of 0 to ~4 blocks of 64 KiB (the least block
// size the stages take), so a body ends mid-block, on a block's end, or holds no block at all.
const record = fc.oneof(
  { arbitrary: fc.record({ i: fc.nat(), api: fc.constantFrom('runs', 'search', 'é😀') }).map((r) => JSON.stringify(r)), weight: 3 },
  { arbitrary: fc.string({ maxLength: 1500, unit: 'binary-ascii', size: 'max' }).map((s) => JSON.stringify({ s })), weight: 2 },
  { arbitrary: fc.string({ minLength: 200, maxLength: 1000, unit: fc.constantFrom('a', 'é', '😀', 'xyz'), size: 'max' }).map((s) => JSON.stringify({ s })), weight: 1 }
)
const records = fc.array(record, { maxLength: 300, size: 'max' })
// 64 KiB and odd sizes past it: blocks then never line up with the window's 4 KiB chunks or the split points.
const blockSize = fc.oneof(fc.constant(64 * KiB), fc.integer({ min: 64 * KiB + 1, max: 70 * KiB }))

/** How the body reaches the compressor: the window's slab body (blocks in place), sometimes with lines written whole, or plain chunks cut anywhere. */
const feed = fc.oneof(
  fc.record({ kind: fc.constant('window' as const), wholeEvery: fc.option(fc.integer({ min: 5, max: 60 }), { nil: undefined }) }),
  fc.record({ kind: fc.constant('chunks' as const), cuts: fc.array(fc.integer({ min: 1, max: 100 * KiB }), { minLength: 1, maxLength: 8, size: 'max' }) })
)
type Feed = typeof feed extends fc.Arbitrary<infer F> ? F : never

/** Compresses `lines` fed as `how`, keeping every output piece as handed out (and a copy of it); returns the input body and the pieces. */
async function run (encoder: ParallelGzip | ZstdFrame, lines: string[], how: Feed): Promise<{ input: Buffer, out: Buffer }> {
  const input = Buffer.from(lines.map((l) => l + '\n').join(''))
  const pieces: Array<[Buffer, Buffer]> = []
  encoder.on('data', (piece: Buffer) => { pieces.push([piece, Buffer.from(piece)]) })
  if (how.kind === 'chunks') {
    const chunks: Buffer[] = []
    for (let at = 0, i = 0; at < input.length; i++) {
      const n = how.cuts[i % how.cuts.length] as number
      chunks.push(input.subarray(at, at + n))
      at += n
    }
    await pipeline(Readable.from(chunks), encoder)
  } else {
    const open = new OpenBatch({ windowStart: 0, windowEnd: 60_000, openedAt: 0, seq: 0, chunkSize: 4 * KiB, clock: systemClock })
    const piped = pipeline(open.body, encoder)
    for (let i = 0; i < lines.length; i++) {
      const line = lines[i] as string
      const written = how.wholeEvery !== undefined && (i + 1) % how.wholeEvery === 0 ? open.writeLines(Buffer.from(line + '\n'), 1) : open.addText(line)
      if (written?.writableNeedDrain === true) await once(written, 'drain')
    }
    open.close()
    await piped
  }
  // Output pieces handed out earlier are never written over by later blocks (zstd's views of its engine's buffer, deflate lanes' copies).
  for (const [piece, copy] of pieces) expect(piece.equals(copy), 'an output piece changed after it was handed out').to.equal(true)
  return { input, out: Buffer.concat(pieces.map(([piece]) => piece)) }
}

/**
 * Runs stop after 40 s and count as a failure then (never a silent pass on a slow machine): a failing property's
 * shrinking of hundreds of long records would otherwise outlast mocha's timeout and report no counterexample.
 */
const bounded = { plugins: [fc.interruptAfterTimeLimit(40_000, { failOnInterrupt: true })] }

describe('block compressors: properties', function () {
  this.timeout(60_000)

  describe('ParallelGzip', function () {
    before(function () { if (!canGzipInParallel()) this.skip() }) // zlib.crc32 arrived in Node 20.15

    it('ONE gzip member that gunzips to exactly the input, for any records, block size, blocks in flight and feed; jobs capped, blocks untouched while compressed', async () => {
      await fc.assert(fc.asyncProperty(records, blockSize, fc.integer({ min: 1, max: 4 }), fc.constantFrom(1, 6, 9), feed,
        async (lines, size, blocksInFlight, level, how) => {
          const gz = watched(new ParallelGzip({ level, blockSize: size, blocksInFlight }))
          const { input, out } = await run(gz, lines, how)
          expectOneGzipMember(out, input)
          expect(gz.watch.maxInFlight).to.be.at.most(blocksInFlight)
          expect(gz.watch.torn).to.equal(0)
          // Copied input: blocksInFlight + 1 block buffers at most, each reused only after its job ended.
          expect(gz.watch.copiedBuffers.size).to.be.at.most(blocksInFlight + 1)
          // The window's body in slabs from its first byte: every block in place, none copied.
          if (how.kind === 'window' && how.wholeEvery === undefined) expect([gz.watch.inPlace, gz.watch.copiedBuffers.size]).to.deep.equal([Math.ceil(input.length / size), 0])
        }), { numRuns: 40, ...bounded })
    })
  })

  describe(hasZstd() ? 'ZstdFrame' : `ZstdFrame (skipped: node:zlib has zstd from Node 22.15; this is ${process.version})`, function () {
    before(function () { if (!hasZstd()) this.skip() })

    it('ONE zstd frame that decompresses to exactly the input (zstd command and node:zlib), for any records, block size and feed; one job at a time, blocks untouched', async () => {
      await fc.assert(fc.asyncProperty(records, blockSize, fc.constantFrom(1, 3, 9), feed,
        async (lines, size, level, how) => {
          const z = watched(new ZstdFrame({ level, blockSize: size }))
          const { input, out } = await run(z, lines, how)
          expectOneZstdFrame(out)
          expect(unzstdSync(out).equals(input)).to.equal(true)
          expect((await unzstd(out)).equals(input)).to.equal(true)
          expect(z.watch.maxInFlight).to.equal(input.length > 0 ? 1 : 0)
          expect(z.watch.torn).to.equal(0)
          expect(z.watch.copiedBuffers.size).to.be.at.most(2)
          if (how.kind === 'window' && how.wholeEvery === undefined) expect([z.watch.inPlace, z.watch.copiedBuffers.size]).to.deep.equal([Math.ceil(input.length / size), 0])
        }), { numRuns: 25, ...bounded })
    })
  })
})
