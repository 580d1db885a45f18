import { once } from 'node:events'
import { randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { ParallelZstd } from '../../lib/internal/parallel-zstd.js'
import { hasZstd } from '../../lib/internal/zstd.js'
import { bytesOf } from '../helpers/streams.js'
import { unzstd } from '../helpers/zstd.js'

const KiB = 1024
const FRAME_MAGIC = 0xfd2fb528

function body (bytes: number): Buffer {
  let text = ''
  for (let i = 0; text.length < bytes; i++) text += JSON.stringify({ i, api: 'runs', ok: i % 3 === 0, note: 'é😀' }) + '\n'
  return Buffer.from(text).subarray(0, bytes)
}

async function zstdOf (data: Buffer, chunk: number, blockSize = 64 * KiB): Promise<Buffer> {
  const pieces: Buffer[] = []
  for (let at = 0; at < data.length; at += chunk) pieces.push(data.subarray(at, at + chunk))
  const z = new ParallelZstd({ level: 3, blockSize, blocksInFlight: 2 })
  const out = bytesOf(z)
  await pipeline(Readable.from(pieces), z)
  return await out
}

describe(hasZstd() ? 'ParallelZstd' : `ParallelZstd (skipped: node:zlib has zstd from Node 22.15; this is ${process.version})`, function () {
  before(function () { if (!hasZstd()) this.skip() })

  it('one zstd frame per block, read back whole by a real zstd decoder, whatever the input chunking', async () => {
    const data = body(64 * KiB * 3 + 1000)
    const outputs: Buffer[] = []
    for (const chunk of [1000, 16 * KiB, 64 * KiB, 200 * KiB]) {
      const out = await zstdOf(data, chunk)
      expect(out.readUInt32LE(0)).to.equal(FRAME_MAGIC)
      expect(await unzstd(out)).to.deep.equal(data)
      outputs.push(out)
    }
    // Blocks are cut by input bytes, not by chunks: the same bytes every time.
    for (const out of outputs) expect(out).to.deep.equal(outputs[0])
  })

  it('an empty body is one valid empty frame', async () => {
    const z = new ParallelZstd({ level: 3, blockSize: 64 * KiB, blocksInFlight: 2 })
    const out = bytesOf(z)
    z.end()
    const bytes = await out
    expect(bytes.readUInt32LE(0)).to.equal(FRAME_MAGIC)
    expect((await unzstd(bytes)).length).to.equal(0)
  })

  it('takes no more input while its output is not read (a block filling and two on the pool), then resumes', async () => {
    const z = new ParallelZstd({ level: 1, blockSize: 256 * KiB, blocksInFlight: 2 })
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
    expect(accepted).to.be.below(4 * 256 * KiB)
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
