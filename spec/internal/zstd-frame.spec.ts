import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { ZstdFrame } from '../../lib/internal/zstd-frame.js'
import { hasZstd } from '../../lib/internal/zstd.js'
import { bytesOf } from '../helpers/streams.js'
import { unzstd, unzstdSync } from '../helpers/zstd.js'

const KiB = 1024
const FRAME_MAGIC = 0xfd2fb528

function body (bytes: number): Buffer {
  let text = ''
  for (let i = 0; text.length < bytes; i++) text += JSON.stringify({ i, api: 'runs', ok: i % 3 === 0, note: 'é😀' }) + '\n'
  return Buffer.from(text).subarray(0, bytes)
}

// 100,000 bytes: node:zlib's decoder reads on past a frame's end only when that end fills its output buffer (16 KiB
// multiples), so blocks of a power-of-two size would not tell one frame from a frame per block.
async function zstdOf (data: Buffer, chunk: number, blockSize = 100_000): Promise<Buffer> {
  const pieces: Buffer[] = []
  for (let at = 0; at < data.length; at += chunk) pieces.push(data.subarray(at, at + chunk))
  const z = new ZstdFrame({ level: 3, blockSize })
  const out = bytesOf(z)
  await pipeline(Readable.from(pieces), z)
  return await out
}

describe(hasZstd() ? 'ZstdFrame' : `ZstdFrame (skipped: node:zlib has zstd from Node 22.15; this is ${process.version})`, function () {
  before(function () { if (!hasZstd()) this.skip() })

  it('one zstd frame over many blocks, read back whole by the zstd command and by node:zlib (which reads a first frame only), whatever the input chunking', async () => {
    const data = body(64 * KiB * 3 + 1000)
    const outputs: Buffer[] = []
    for (const chunk of [1000, 16 * KiB, 64 * KiB, 200 * KiB]) {
      const out = await zstdOf(data, chunk)
      expect(out.readUInt32LE(0)).to.equal(FRAME_MAGIC)
      expect(await unzstd(out)).to.deep.equal(data)
      // A frame per block read back as its first block alone here (nodejs/node#64741): the whole body means one frame.
      expect(unzstdSync(out)).to.deep.equal(data)
      outputs.push(out)
    }
    // Blocks are cut by input bytes, not by chunks: the same bytes every time.
    for (const out of outputs) expect(out).to.deep.equal(outputs[0])
  })

  it('an empty body is one valid empty frame', async () => {
    const z = new ZstdFrame({ level: 3, blockSize: 64 * KiB })
    const out = bytesOf(z)
    z.end()
    const bytes = await out
    expect(bytes.readUInt32LE(0)).to.equal(FRAME_MAGIC)
    expect((await unzstd(bytes)).length).to.equal(0)
  })

  it('keeps the frame\'s history across blocks: about the size of one-shot zstd, not of a frame per block', async () => {
    const data = body(1024 * KiB)
    const zstd = (await import('node:zlib')) as unknown as { zstdCompressSync: (b: Buffer, o: object) => Buffer, constants: Record<string, number> }
    const oneShot = zstd.zstdCompressSync(data, { params: { [zstd.constants.ZSTD_c_compressionLevel as number]: 3 } }).length
    const out = await zstdOf(data, 64 * KiB, 64 * KiB)
    expect(out.length / oneShot).to.be.below(1.01)
  })

  it('takes no more input while its output is not read (a block filling and one on the pool), then resumes', async () => {
    const z = new ZstdFrame({ level: 1, blockSize: 256 * KiB })
    const sent: Buffer[] = []
    let accepted = 0
    for (;;) {
      const b = randomBytes(64 * KiB)
      sent.push(b)
      accepted += b.length
      if (!z.write(b)) break
      if (accepted > 16 * 1024 * KiB) break
    }
    // Let the jobs end: the output side then holds its high-water mark unread and the input stays stopped.
    await new Promise((resolve) => setTimeout(resolve, 200))
    expect(z.writableNeedDrain).to.equal(true)
    expect(accepted).to.be.below(3 * 256 * KiB)
    const out = bytesOf(z)
    for (let i = 0; i < 8; i++) {
      const b = randomBytes(64 * KiB)
      sent.push(b)
      if (!z.write(b)) await once(z, 'drain')
    }
    z.end()
    expect(await unzstd(await out)).to.deep.equal(Buffer.concat(sent))
  })
})
