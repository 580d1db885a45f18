import { execFile } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { promisify } from 'node:util'
import { constants, crc32, deflateRawSync, gunzipSync, gzipSync, inflateRawSync } from 'node:zlib'
import { expect } from 'chai'
import type { Transform } from 'node:stream'
import { canGzipInParallel, FINAL_BLOCK, gzipHeader, ParallelGzip } from '../../lib/internal/parallel-gzip.js'
import { prng } from '../helpers/prng.js'
import { bytesOf, closed, run, watch } from '../helpers/streams.js'

const KiB = 1024
const BLOCK = 64 * KiB

/** Realistic NDJSON: Run records, some repetition across lines as in a real feed. */
function ndjson (bytes: number): Buffer {
  const lines: string[] = []
  let size = 0
  for (let i = 0; size < bytes; i++) {
    const line = JSON.stringify(run(i)) + '\n'
    lines.push(line)
    size += line.length
  }
  return Buffer.from(lines.join('')).subarray(0, bytes)
}

interface GzipSettings { level: number, blockSize: number, blocksInFlight: number }
type Make = (settings: GzipSettings) => Transform
/** The makers of one gzip member from parallel blocks (round 5 had a worker-thread one beside it). */
const IMPLEMENTATIONS: Array<[string, Make]> = [
  ['ParallelGzip', (o) => new ParallelGzip(o)]
]

interface CompressOptions { level?: number, chunks?: number[], blocksInFlight?: number, blockSize?: number }
/** `data` written in chunks of the given sizes (cycled), compressed by a fresh stream of `make`. */
async function compressedBy (make: Make, data: Buffer, options: CompressOptions = {}): Promise<Buffer> {
  const sizes = options.chunks ?? [16 * KiB]
  const pieces: Buffer[] = []
  for (let at = 0, i = 0; at < data.length; i++) {
    const n = sizes[i % sizes.length] as number
    pieces.push(data.subarray(at, at + n))
    at += n
  }
  const gz = make({ level: options.level ?? 6, blockSize: options.blockSize ?? BLOCK, blocksInFlight: options.blocksInFlight ?? 3 })
  const out = bytesOf(gz)
  await pipeline(Readable.from(pieces), gz)
  return await out
}

/** One gzip member: a single header, one deflate stream over everything, and a trailer for the whole input. */
function expectOneMember (gz: Buffer, data: Buffer): void {
  expect([...gz.subarray(0, 4)]).to.deep.equal([0x1f, 0x8b, 8, 0])
  expect(inflateRawSync(gz.subarray(10, gz.length - 8))).to.deep.equal(data)
  expect(gz.readUInt32LE(gz.length - 8)).to.equal(crc32(data))
  expect(gz.readUInt32LE(gz.length - 4)).to.equal(data.length % 2 ** 32)
  expect(gunzipSync(gz)).to.deep.equal(data)
}

for (const [name, make] of IMPLEMENTATIONS) {
describe(name, function () {
  before(function () {
    if (!canGzipInParallel()) this.skip() // zlib.crc32 arrived in Node 20.15
  })
  const compressed = async (data: Buffer, options: CompressOptions = {}): Promise<Buffer> => await compressedBy(make, data, options)

  describe('output', () => {
    const sizes = [0, 1, 1000, BLOCK - 1, BLOCK, BLOCK + 1, 3 * BLOCK + 17, 10 * BLOCK]
    for (const size of sizes) {
      it(`makes one standard gzip member of ${size} bytes`, async () => {
        const data = ndjson(size)
        expectOneMember(await compressed(data, { chunks: [7 * KiB, 1, 40 * KiB, 300] }), data)
      })
    }

    it('is the same bytes whatever the input chunking and the blocks in flight', async () => {
      const data = ndjson(5 * BLOCK + 123)
      const a = await compressed(data, { chunks: [BLOCK * 5 + 123], blocksInFlight: 1 })
      const b = await compressed(data, { chunks: [1, 2, 3, 5000, 99 * KiB], blocksInFlight: 4 })
      expect(b).to.deep.equal(a)
      expectOneMember(a, data)
    })

    it('round-trips incompressible bytes and level 0 (stored blocks)', async () => {
      const random = Buffer.from(Array.from({ length: 3 * BLOCK + 5 }, prng(7)).map((x) => Math.floor(x * 256)))
      expectOneMember(await compressed(random, { level: 1 }), random)
      const text = ndjson(2 * BLOCK + 9)
      const stored = await compressed(text, { level: 0 })
      expectOneMember(stored, text)
      expect(stored.length).to.be.above(text.length)
    })

    for (const level of [1, 6, 9]) {
      it(`stays within 1% of one zlib stream's size at level ${level} with the default 1 MiB blocks`, async () => {
        // Each block starts without the previous one's 32 KiB: 0.3% at 1 MiB, about 4% at 64 KiB.
        const data = ndjson(64 * BLOCK)
        const parallel = await compressed(data, { level, blockSize: 1024 * KiB, chunks: [64 * KiB] })
        const single = gzipSync(data, { level })
        expect(parallel.length / single.length).to.be.below(1.01)
      })
    }

    it('hands a reading loop its output as the loop reads, never a block\'s output concatenated (a copy per block)', async () => {
      // Half incompressible: a block's output is many 64 KiB pieces.
      const data = Buffer.concat([ndjson(2 * 1024 * KiB), randomBytes(2 * 1024 * KiB)])
      const gz = make({ level: 1, blockSize: 1024 * KiB, blocksInFlight: 2 })
      const feeding = pipeline(Readable.from([data]), gz)
      const sizes: number[] = []
      const out: Buffer[] = []
      for await (const chunk of gz) {
        sizes.push((chunk as Buffer).length)
        out.push(chunk as Buffer)
      }
      await feeding
      // A 64 KiB piece and what was pushed before it, below the high-water mark; a block's output is ~300 KiB here.
      expect(Math.max(...sizes)).to.be.below(64 * KiB + gz.readableHighWaterMark)
      expectOneMember(Buffer.concat(out), data)
    })

    it('is read by the gunzip command and by Python\'s gzip module', async () => {
      const data = ndjson(4 * BLOCK + 77)
      const dir = await mkdtemp(join(tmpdir(), 'pgzip-'))
      try {
        const file = join(dir, 'batch.ndjson.gz')
        await writeFile(file, await compressed(data))
        const exec = promisify(execFile)
        const gunzip = await exec('gunzip', ['-c', file], { encoding: 'buffer', maxBuffer: 64 * 1024 * 1024 })
        expect(Buffer.compare(gunzip.stdout, data)).to.equal(0)
        const py = await exec('python3', ['-c', 'import gzip,sys,hashlib; print(hashlib.sha256(gzip.open(sys.argv[1]).read()).hexdigest())', file])
        const { createHash } = await import('node:crypto')
        expect(py.stdout.trim()).to.equal(createHash('sha256').update(data).digest('hex'))
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    })
  })

  describe('backpressure', () => {
    it('accepts a bounded amount of input while nobody reads, then delivers it all', async () => {
      const gz = make({ level: 1, blockSize: BLOCK, blocksInFlight: 2 })
      // Hex text: compresses about 2x, so the output fills the readable side as a real batch would.
      const data = Buffer.from(Buffer.from(Array.from({ length: 8 * BLOCK }, prng(3)).map((x) => Math.floor(x * 256))).toString('hex'))
      // Written regardless of write()'s answer, with pauses so every block in flight can finish.
      let written = 0
      for (; written < 12 * BLOCK; written += 16 * KiB) {
        gz.write(data.subarray(written, written + 16 * KiB))
        await new Promise((resolve) => setTimeout(resolve, 1))
      }
      for (let i = 0; i < 20; i++) await new Promise((resolve) => setTimeout(resolve, 5))
      const taken = written - gz.writableLength
      // Held input + blocks in flight + what the readable side holds: a few blocks, not the feed.
      expect(gz.writableNeedDrain).to.equal(true)
      expect(taken).to.be.at.most(6 * BLOCK)
      let accepted = written
      const out = bytesOf(gz)
      for (; accepted < data.length; accepted += 16 * KiB) {
        if (!gz.write(data.subarray(accepted, accepted + 16 * KiB))) await once(gz, 'drain')
      }
      gz.end()
      expectOneMember(await out, data)
    })
  })

  describe('destroy', () => {
    it('drops the blocks in flight and emits nothing after destroy(err)', async () => {
      const gz = make({ level: 6, blockSize: BLOCK, blocksInFlight: 4 })
      const seen = watch(gz)
      const chunks: Buffer[] = []
      gz.on('data', (chunk: Buffer) => chunks.push(chunk))
      gz.write(ndjson(4 * BLOCK))
      const boom = new Error('boom')
      gz.destroy(boom)
      await closed(gz)
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(seen).to.deep.equal({ errors: [boom], close: 1, finish: 0, end: 0 })
      expect(chunks).to.deep.equal([])
    })

    it('closes cleanly on destroy() without an error while blocks are in flight', async () => {
      const gz = make({ level: 6, blockSize: BLOCK, blocksInFlight: 4 })
      const seen = watch(gz)
      gz.write(ndjson(3 * BLOCK))
      gz.destroy()
      await closed(gz)
      await new Promise((resolve) => setTimeout(resolve, 50))
      expect(seen.errors).to.deep.equal([])
      expect(seen.close).to.equal(1)
    })
  })
})
}

describe('ParallelGzip format', () => {
  it('is pigz\'s layout without dictionaries, byte for byte: header, each block raw-deflated alone with a sync flush, final block, trailer', async function () {
    if (!canGzipInParallel()) this.skip()
    const data = ndjson(7 * BLOCK + 999)
    const parts: Buffer[] = [gzipHeader(6)]
    for (let at = 0; at < data.length; at += BLOCK) {
      parts.push(deflateRawSync(data.subarray(at, at + BLOCK), { level: 6, finishFlush: constants.Z_SYNC_FLUSH }))
    }
    const trailer = Buffer.alloc(8)
    trailer.writeUInt32LE(crc32(data), 0)
    trailer.writeUInt32LE(data.length, 4)
    parts.push(FINAL_BLOCK, trailer)
    expect(await compressedBy((o) => new ParallelGzip(o), data, { chunks: [5 * KiB, 70 * KiB] })).to.deep.equal(Buffer.concat(parts))
  })
})
