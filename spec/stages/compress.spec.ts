import { once } from 'node:events'
import { PassThrough } from 'node:stream'
import * as zlib from 'node:zlib'
import { expect } from 'chai'
import type { Batch } from '../../lib/batch.js'
import { BatchAbortedError, InvalidOptionError } from '../../lib/errors.js'
import { compressionExtension } from '../../lib/internal/compression-extension.js'
import { resolveCompression } from '../../lib/internal/compression.js'
import { hasZstd } from '../../lib/internal/zstd.js'
import { compress, type CompressOptions } from '../../lib/stages/compress.js'
import { unzstd, unzstdSync } from '../helpers/zstd.js'
import { backpressureThrough, bytesOf, closed, collect, handBatch, run, source, watch } from '../helpers/streams.js'

function bytesBatch (data: string | Buffer, fields: Partial<Batch> = {}): Batch {
  const body = new PassThrough()
  body.end(data)
  return handBatch(body, fields)
}

function rejects (options: unknown, option: string, message?: RegExp): void {
  expect(() => compress(options as CompressOptions)).to.throw(InvalidOptionError)
    .that.satisfies((err: InvalidOptionError) => err.code === 'ERR_INVALID_OPTION' && err.option === option && (message === undefined || message.test(err.message)))
}

const text = Array.from({ length: 300 }, (_, i) => JSON.stringify(run(i)) + '\n').join('')

describe('compress()', () => {
  describe('gzip (the default)', () => {
    it('gzips each batch and sets contentEncoding "gzip"', async () => {
      const [batch] = await collect<Batch>(source([bytesBatch(text)]).pipe(compress()))
      expect(batch!.contentEncoding).to.equal('gzip')
      expect(zlib.gunzipSync(await bytesOf(batch!.body)).toString()).to.equal(text)
    })

    it('gives the same bytes with one thread or several', async () => {
      for (const threads of [1, 3]) {
        const [batch] = await collect<Batch>(source([bytesBatch(text.repeat(20))]).pipe(compress({ compression: 'gzip', level: 1, threads, blockSize: 64 * 1024 })))
        expect(zlib.gunzipSync(await bytesOf(batch!.body)).toString()).to.equal(text.repeat(20))
      }
    })
  })

  describe('none', () => {
    it('passes batches on untouched, body and all', async () => {
      const input = bytesBatch(text, { seq: 3 })
      const [batch] = await collect<Batch>(source([input]).pipe(compress({ compression: 'none' })))
      expect(batch).to.equal(input)
      expect(batch!.contentEncoding).to.equal(undefined)
      expect(compressionExtension(batch!.contentEncoding)).to.equal('')
    })
  })

  describe(hasZstd() ? 'zstd' : `zstd (skipped: node:zlib has zstd from Node 22.15; this is ${process.version})`, function () {
    before(function () { if (!hasZstd()) this.skip() })

    it('zstd-compresses each batch into its own frame, read back by a real zstd decoder', async () => {
      const texts = [text, '{"b":"é😀"}\n', '']
      const out = await collect<Batch>(source(texts.map((t, seq) => bytesBatch(t, { seq }))).pipe(compress({ compression: 'zstd' })))
      expect(out.map((b) => b.contentEncoding)).to.deep.equal(['zstd', 'zstd', 'zstd'])
      expect(compressionExtension('zstd')).to.equal('.zst')
      for (const [i, batch] of out.entries()) {
        const body = await bytesOf(batch.body)
        expect(body.readUInt32LE(0)).to.equal(0xfd2fb528) // zstd frame magic
        expect((await unzstd(body)).toString()).to.equal(texts[i])
      }
    })

    it('makes a body of many blocks one frame, which node:zlib\'s decoder (first frame only) reads back whole', async () => {
      const big = text.repeat(40)
      // Blocks of 100,000 bytes: node:zlib's decoder goes on past a frame's end only when that end fills its output
      // buffer (16 KiB multiples), so a frame per block of a power-of-two size read back whole there by luck.
      const [batch] = await collect<Batch>(source([bytesBatch(big)]).pipe(compress({ compression: 'zstd', blockSize: 100_000 })))
      const body = await bytesOf(batch!.body)
      expect(unzstdSync(body).toString()).to.equal(big)
      expect((await unzstd(body)).toString()).to.equal(big)
    })

    it('applies the level: 19 is smaller than 1', async () => {
      const sizes: number[] = []
      for (const level of [1, 19]) {
        const [batch] = await collect<Batch>(source([bytesBatch(text.repeat(5))]).pipe(compress({ compression: 'zstd', level })))
        sizes.push((await bytesOf(batch!.body)).length)
      }
      expect(sizes[1]).to.be.below(sizes[0] as number)
    })

    it('holds batches back when nobody reads (backpressure), then passes them on in order', async () => {
      const input = Array.from({ length: 6 }, (_, seq) => bytesBatch(`{"seq":${seq}}\n`, { seq }))
      const { received, refused, ahead } = await backpressureThrough(compress({ compression: 'zstd' }), input)
      expect(ahead).to.be.at.most(2)
      expect(refused).to.be.above(1)
      expect(received.map((b) => b.seq)).to.deep.equal([0, 1, 2, 3, 4, 5])
    })

    it('destroy() mid-batch aborts the body with ERR_BATCH_ABORTED', async () => {
      const raw = new PassThrough()
      const stage = compress({ compression: 'zstd' })
      const seen = watch(stage)
      stage.write(handBatch(raw))
      const [batch] = await once(stage, 'data') as [Batch]
      raw.write(text)
      stage.destroy()
      await Promise.all([closed(stage), closed(batch.body)])
      expect(batch.body.errored).to.be.instanceOf(BatchAbortedError)
      expect(seen.errors).to.deep.equal([])
    })

    it('rejects levels outside 1-19 and threads above 1', () => {
      for (const level of [0, 20, 2.5]) rejects({ compression: 'zstd', level }, 'options.level')
      rejects({ compression: 'zstd', threads: 2 }, 'options.threads', /gzip only/)
    })
  })

  describe('options', () => {
    if (!hasZstd()) {
      it(`fails at build time on zstd, saying which Node has it (this is ${process.version})`, () => {
        rejects({ compression: 'zstd' }, 'options.compression', /Node >= 22\.15/)
      })
    }

    it('rejects an unknown compression, an unknown option, and a level with "none"', () => {
      rejects({ compression: 'brotli' }, 'options.compression')
      rejects({ compression: 'gzip', lvl: 3 }, 'options.lvl')
      rejects({ compression: 'none', level: 1 }, 'options.level', /"none"/)
      rejects(null, 'options')
    })

    it('rejects gzip levels outside 0-9, threads outside 1-64 and a blockSize below 64 KiB', () => {
      for (const level of [-1, 10, '6']) rejects({ level }, 'options.level')
      for (const threads of [0, 65, 1.5]) rejects({ threads }, 'options.threads')
      for (const blockSize of [1024, 64 * 1024 - 1, 17 * 1024 * 1024]) rejects({ blockSize }, 'options.blockSize')
    })

    it('defaults gzip and zstd to one stream', () => {
      expect(resolveCompression({}, 'options').threads).to.equal(1)
      expect(resolveCompression({ threads: 1 }, 'options').threads).to.equal(1)
      if (hasZstd()) expect(resolveCompression({ compression: 'zstd' }, 'options').threads).to.equal(1)
    })

    it('defaults blocks to 512 KiB for gzip (what threads above 1 hold) and 1 MiB for zstd; a given blockSize wins', () => {
      expect(resolveCompression({}, 'options').blockSize).to.equal(512 * 1024)
      expect(resolveCompression({ threads: 2, blockSize: 1024 * 1024 }, 'options').blockSize).to.equal(1024 * 1024)
      if (hasZstd()) expect(resolveCompression({ compression: 'zstd' }, 'options').blockSize).to.equal(1024 * 1024)
    })

    it('does not mutate the options object', () => {
      const options = Object.freeze({ compression: 'gzip' as const, level: 1, threads: 2 })
      compress(options)
      expect(options).to.deep.equal({ compression: 'gzip', level: 1, threads: 2 })
    })
  })

  describe('failing input', () => {
    it('fails the stage once when a batch body fails', async () => {
      const raw = new PassThrough()
      const stage = compress()
      const seen = watch(stage)
      stage.write(handBatch(raw))
      const [batch] = await once(stage, 'data') as [Batch]
      batch.body.on('error', () => {})
      const broken = new Error('window failed')
      raw.destroy(broken)
      await closed(stage)
      expect(seen.errors).to.deep.equal([broken])
    })
  })
})
