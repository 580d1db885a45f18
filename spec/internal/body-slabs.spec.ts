import { randomBytes } from 'node:crypto'
import { once } from 'node:events'
import { Readable, type Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import { expect } from 'chai'
import { systemClock } from '../../lib/clock.js'
import type { BlockDone } from '../../lib/internal/block-done.js'
import { BodySlabs } from '../../lib/internal/body-slabs.js'
import { OpenBatch } from '../../lib/internal/open-batch.js'
import { canGzipInParallel, ParallelGzip } from '../../lib/internal/parallel-gzip.js'
import { ZstdFrame } from '../../lib/internal/zstd-frame.js'
import { hasZstd } from '../../lib/internal/zstd.js'
import { bytesOf } from '../helpers/streams.js'
import { unzstd } from '../helpers/zstd.js'

const KiB = 1024

function openBatch (chunkSize = 4 * KiB): OpenBatch {
  return new OpenBatch({ windowStart: 0, windowEnd: 60_000, openedAt: 0, seq: 0, chunkSize, clock: systemClock })
}

/** Record texts of many sizes: multi-byte characters, some over a chunk, so records straddle slabs and chunks; some bytes random, so output piles up. */
function texts (n: number, chunkSize: number): string[] {
  const out: string[] = []
  for (let i = 0; i < n; i++) {
    const note = i % 97 === 0 ? 'x'.repeat(chunkSize + i) : 'é😀'.repeat(i % 40)
    out.push(JSON.stringify({ i, api: 'runs', note, id: randomBytes(i % 50).toString('hex') }))
  }
  return out
}

/** Records how each block reached its job: in place (a slab) or copied. */
function spied<T extends Transform> (encoder: T): T & { inPlace: number, copied: number } {
  const spy = Object.assign(encoder, { inPlace: 0, copied: 0 })
  const target = spy as unknown as { compress: (block: Buffer, done: BlockDone) => void }
  const compress = target.compress.bind(spy)
  target.compress = (block, done) => {
    if (BodySlabs.isSlab(block)) spy.inPlace++
    else spy.copied++
    compress(block, done)
  }
  return spy
}

/** Writes `lines` into `open` as the window does: waits for drain when the body asks. */
async function writeAll (open: OpenBatch, lines: string[], from = 0): Promise<void> {
  for (let i = from; i < lines.length; i++) {
    const written = open.addText(lines[i] as string)
    if (written?.writableNeedDrain === true) await once(written, 'drain')
  }
}

describe('BodySlabs: a body written in slabs, taken as blocks in place', () => {
  it('fills every slab to the last byte, slabs aligned on their size in the body, even when asked mid-body and after lines written whole', async () => {
    const open = openBatch()
    const lines = texts(3000, 4 * KiB)
    const chunks: Buffer[] = []
    open.body.on('data', (chunk: Buffer) => chunks.push(chunk))
    open.addText(lines[0] as string)
    open.addText(lines[1] as string)
    BodySlabs.ask(open.body, 64 * KiB)
    await writeAll(open, lines.slice(0, 1500), 2)
    const whole = Buffer.from('{"lines":"written whole"}\n')
    open.writeLines(whole, 1)
    await writeAll(open, lines.slice(1500))
    open.close()
    await once(open.body, 'end')
    const text = lines.slice(0, 1500).join('\n') + '\n' + whole.toString() + lines.slice(1500).join('\n') + '\n'
    expect(Buffer.concat(chunks).toString()).to.equal(text)
    // Every slab chunk continues the one before it in its slab, and a full slab starts on a multiple of 64 KiB of the body.
    let at = 0
    let slabChunks = 0
    const slabEnds = new Map<ArrayBufferLike, number>()
    for (const chunk of chunks) {
      if (BodySlabs.isSlab(chunk)) {
        slabChunks++
        const start = at - chunk.byteOffset
        if (chunk.buffer.byteLength === 64 * KiB) expect(start % (64 * KiB)).to.equal(0)
        else expect((start + chunk.buffer.byteLength) % (64 * KiB)).to.equal(0) // the first slab, asked mid-body: up to the next boundary
        expect(slabEnds.get(chunk.buffer) ?? chunk.byteOffset).to.equal(chunk.byteOffset)
        slabEnds.set(chunk.buffer, chunk.byteOffset + chunk.length)
      }
      at += chunk.length
    }
    expect(slabChunks).to.be.above(chunks.length - 5)
  })

  const codecs: Array<[string, boolean, () => ZstdFrame | ParallelGzip, (b: Buffer) => Promise<Buffer>]> = [
    ['ZstdFrame', hasZstd(), () => new ZstdFrame({ level: 3, blockSize: 64 * KiB }), unzstd],
    ['ParallelGzip', canGzipInParallel(), () => new ParallelGzip({ level: 6, blockSize: 64 * KiB, blocksInFlight: 2 }), async (b) => gunzipSync(b)]
  ]
  for (const [name, available, make, decode] of codecs) {
    describe(name, function () {
      before(function () { if (!available) this.skip() })

      it('takes a slab body\'s blocks in place, and writes the same bytes as over the body copied in other chunks', async () => {
        const open = openBatch()
        const encoder = spied(make())
        const out = bytesOf(encoder)
        const piped = pipeline(open.body, encoder)
        const lines = texts(4000, 4 * KiB)
        await writeAll(open, lines)
        open.close()
        await piped
        const bytes = await out
        const text = Buffer.from(lines.join('\n') + '\n')
        expect(await decode(bytes)).to.deep.equal(text)
        expect(encoder.inPlace).to.be.above(text.length / (64 * KiB) - 1)
        expect(encoder.copied).to.equal(0)
        const pieces: Buffer[] = []
        for (let at = 0; at < text.length; at += 5000) pieces.push(Buffer.from(text.subarray(at, at + 5000)))
        const copied = spied(make())
        const again = bytesOf(copied)
        await pipeline(Readable.from(pieces), copied)
        expect(await again).to.deep.equal(bytes)
        expect(copied.inPlace).to.equal(0)
      })

      it('gives no slab back while another reader of the body may hold its chunks', async () => {
        const open = openBatch()
        const kept: Buffer[] = []
        open.body.on('data', (chunk: Buffer) => kept.push(chunk))
        const encoder = make()
        const out = bytesOf(encoder)
        const piped = pipeline(open.body, encoder)
        const lines = texts(4000, 4 * KiB)
        await writeAll(open, lines)
        open.close()
        await piped
        await out
        // Bodies written after this one would have reused given-back slabs under the chunks kept here.
        const other = openBatch()
        const encoder2 = make()
        const done = pipeline(other.body, encoder2)
        const drained = bytesOf(encoder2)
        await writeAll(other, texts(4000, 4 * KiB).map((t) => t.replace(/"runs"/, '"xxxx"')))
        other.close()
        await done
        await drained
        expect(Buffer.concat(kept).toString()).to.equal(lines.join('\n') + '\n')
      })

      it('holds the window back while its output is not read: a bounded number of slabs, then resumes', async () => {
        const open = openBatch()
        const encoder = make()
        void pipeline(open.body, encoder)
        const lines = texts(20_000, 4 * KiB)
        let i = 0
        for (; i < lines.length; i++) {
          const written = open.addText(lines[i] as string)
          if (written?.writableNeedDrain !== true) continue
          const drained = await Promise.race([once(written, 'drain').then(() => true), new Promise((resolve) => setTimeout(resolve, 200, false))])
          if (drained !== true) break
        }
        expect(i).to.be.below(lines.length)
        // Blocks in flight, one filling, the output waiting unread (up to 0.6 MB as copied blocks): not the feed's 3 MB.
        expect(open.bytes).to.be.below(16 * 64 * KiB)
        const out = bytesOf(encoder)
        await writeAll(open, lines, i + 1)
        open.close()
        expect(await decode(await out)).to.deep.equal(Buffer.from(lines.join('\n') + '\n'))
      })

      it('destroyed mid-body: the body fails, the window\'s next write throws, nothing is given back that a job still reads', async () => {
        const open = openBatch()
        const encoder = make()
        const failed = pipeline(open.body, encoder).then(() => null, (err: unknown) => err)
        encoder.resume()
        const lines = texts(2000, 4 * KiB)
        await writeAll(open, lines.slice(0, 1000))
        const err = new Error('reader gone')
        encoder.destroy(err)
        expect(await failed).to.equal(err)
        expect(() => { open.assertWritable() }).to.throw()
      })
    })
  }
})
