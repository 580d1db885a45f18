import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { expect } from 'chai'
import fc from 'fast-check'
import type { S3Client } from '@aws-sdk/client-s3'
import { BodyMd5, learnMultipartEtag } from '../../lib/internal/body-md5.js'
import { MultipartUpload, type SendCommand } from '../../lib/internal/multipart-upload.js'

const KiB = 1024
const MiB = 1024 * KiB
const params = { Bucket: 'logs', Key: 'k.ndjson.gz' }
const md5Of = (data: Buffer): string => createHash('md5').update(data).digest('hex')

/** A fresh client as MultipartUpload reads it (its config only): a custom endpoint (the body is hashed) or AWS's own. */
function clientAt (custom: boolean): S3Client {
  return { config: { isCustomEndpoint: custom, requestChecksumCalculation: async () => 'WHEN_SUPPORTED' } } as unknown as S3Client
}

/** `size` bytes in which every 4-byte word is its own index mixed with `seed`: a part out of place, or overwritten by a later one, shows. */
function body (size: number, seed: number): Buffer {
  const words = new Uint32Array(Math.ceil(size / 4))
  for (let i = 0; i < words.length; i++) words[i] = (i * 2654435761 + seed) >>> 0
  return Buffer.from(words.buffer, 0, size)
}

interface Part { n: number, bytes: Buffer, copy: Buffer }

/**
 * A store that answers each request after `delays[i]` turns of the event
 * loop (so parts are answered out of order), checking on the way that a
 * part's bytes are unchanged until it is answered (its buffer is reused only
 * then) and counting UploadParts in flight.
 */
function store (delays: number[]): { send: SendCommand, sent: string[], parts: Part[], torn: number[], maxInFlight: () => number, puts: Buffer[], completed: unknown[] } {
  const sent: string[] = []
  const parts: Part[] = []
  const puts: Buffer[] = []
  const completed: unknown[] = []
  const torn: number[] = []
  let inFlight = 0
  let max = 0
  let i = 0
  const send: SendCommand = async (command) => {
    const name = command.constructor.name
    const input = command.input as { PartNumber?: number, Body?: Buffer, MultipartUpload?: { Parts?: unknown[] } }
    sent.push(name)
    for (let turns = delays[i++ % delays.length] ?? 0; turns > 0; turns--) await new Promise((resolve) => setImmediate(resolve))
    if (name === 'CreateMultipartUploadCommand') return { UploadId: 'u1' }
    if (name === 'PutObjectCommand') { puts.push(Buffer.from(input.Body as Buffer)); return { ETag: '"put"' } }
    if (name === 'CompleteMultipartUploadCommand') { completed.push(...(input.MultipartUpload?.Parts ?? [])); return { ETag: '"0123456789abcdef0123456789abcdef-2"' } }
    return await Promise.reject(new Error(`unexpected ${name}`))
  }
  // UploadPart is counted from the call (before the delay): that is when the part is in flight.
  const counted: SendCommand = async (command) => {
    if (command.constructor.name !== 'UploadPartCommand') return await send(command)
    const input = command.input as { PartNumber: number, Body: Buffer }
    const part = { n: input.PartNumber, bytes: input.Body, copy: Buffer.from(input.Body) }
    parts.push(part)
    max = Math.max(max, ++inFlight)
    sent.push('UploadPartCommand')
    for (let turns = delays[i++ % delays.length] ?? 0; turns > 0; turns--) await new Promise((resolve) => setImmediate(resolve))
    if (!part.bytes.equals(part.copy)) torn.push(part.n)
    inFlight--
    return { ETag: `"e${part.n}"` }
  }
  return { send: counted, sent, parts, torn, maxInFlight: () => max, puts, completed }
}

// Parts of S3's least size, 5 MiB, and an odd size above it; bodies of 0 to 3.2 parts: one PutObject, a body of exactly
// one part, a last part of one byte or of a whole part. 5 MiB is past the part buffers' growth steps (64 KiB, 256 KiB,
// 1 MiB), so a first part grows through all of them. Chunks of a cycle of sizes, one of them large, keep a run below
// ~50 ms while still splitting parts anywhere.
const partSize = fc.constantFrom(5 * MiB, 5 * MiB + 3)
const size = (part: number): fc.Arbitrary<number> => fc.oneof(
  fc.integer({ min: 0, max: Math.floor(3.2 * part) }),
  fc.constantFrom(0, 1, part - 1, part, part + 1, 2 * part, 2 * part + 1, 3 * part)
)
const cuts = fc.tuple(fc.array(fc.integer({ min: 1, max: 70 * KiB }), { maxLength: 3 }), fc.integer({ min: 256 * KiB, max: 3 * MiB })).map(([small, large]) => [...small, large])
const delays = fc.array(fc.nat({ max: 4 }), { minLength: 1, maxLength: 8 })

describe('MultipartUpload properties (with PartBuffers and BodyMd5)', function () {
  this.timeout(60_000)

  it('parts are partSize (>= 5 MiB) but the last, numbered in order, unchanged until answered, at most queueSize in flight and queueSize + 1 part buffers; they make the body; the MD5 is of the bytes sent', async () => {
    await fc.assert(fc.asyncProperty(partSize.chain((p) => fc.tuple(fc.constant(p), size(p))), fc.integer({ min: 1, max: 4 }), cuts, delays, fc.boolean(), fc.boolean(), fc.nat(),
      async ([part, bytes], queueSize, sizes, answerAfter, asStream, custom, seed) => {
        const data = body(bytes, seed)
        const chunks: Buffer[] = []
        for (let at = 0, i = 0; at < data.length; i++) {
          const n = sizes[i % sizes.length] as number
          chunks.push(data.subarray(at, at + n))
          at += n
        }
        const s = store(answerAfter)
        const upload = new MultipartUpload({ client: clientAt(custom), params, body: asStream ? Readable.from(chunks) : data, partSize: part, queueSize, send: s.send })
        await upload.done()
        expect(upload.bytes).to.equal(bytes)
        if (bytes <= part) {
          // One part's worth or less: a single PutObject of the whole body, nothing to hash (its own answer counts).
          expect(s.sent).to.deep.equal(['PutObjectCommand'])
          expect(s.puts[0]?.equals(data)).to.equal(true)
          if (asStream) expect(upload.md5()).to.equal(undefined)
          return
        }
        expect(s.sent[0]).to.equal('CreateMultipartUploadCommand')
        expect(s.sent.at(-1)).to.equal('CompleteMultipartUploadCommand')
        const n = Math.ceil(bytes / part)
        expect(s.parts.map((p) => p.n)).to.deep.equal(Array.from({ length: n }, (_, i) => i + 1))
        for (const p of s.parts.slice(0, -1)) expect(p.bytes.length).to.equal(part).and.at.least(5 * MiB)
        expect(s.parts.at(-1)?.bytes.length).to.be.within(1, part)
        expect(s.torn, 'parts whose bytes changed before S3 answered').to.deep.equal([])
        expect(Buffer.concat(s.parts.map((p) => p.copy)).equals(data)).to.equal(true)
        expect(s.completed).to.deep.equal(s.parts.map((p) => ({ PartNumber: p.n, ETag: `"e${p.n}"` })))
        expect(s.maxInFlight()).to.be.at.most(queueSize)
        if (asStream) {
          // Each part copied once into a part buffer; whole-part buffers: the ones in flight and the one filling.
          const buffers = new Set(s.parts.filter((p) => p.bytes.buffer.byteLength >= part).map((p) => p.bytes.buffer))
          expect(buffers.size).to.be.at.most(queueSize + 1)
          expect(upload.md5()).to.equal(custom ? md5Of(Buffer.concat(s.parts.map((p) => p.copy))) : undefined)
        } else {
          // A Buffer body is cut into views of itself, never copied.
          for (const p of s.parts) expect(p.bytes.buffer).to.equal(data.buffer)
          expect(upload.md5()).to.equal(md5Of(data))
        }
      }), { numRuns: 30 })
  })

  it('BodyMd5: the digest is of every part or none, whenever the store is learned to tag objects S3\'s way', async () => {
    // Parts of 0 - 64 bytes: the hash does not care about sizes, only about which updates it took.
    await fc.assert(fc.asyncProperty(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 12 }), fc.option(fc.nat({ max: 13 }), { nil: undefined }), fc.boolean(),
      async (parts, learnAt, custom) => {
        const client = clientAt(custom)
        const md5 = new BodyMd5(client)
        await md5.start()
        for (let i = 0; i <= parts.length; i++) {
          if (i === learnAt) learnMultipartEtag(client, '"0123456789abcdef0123456789abcdef-2"')
          if (i < parts.length) md5.update(Buffer.from(parts[i] as Uint8Array))
        }
        const digest = md5.digest()
        if (!custom || (learnAt !== undefined && learnAt < parts.length)) expect(digest).to.equal(undefined)
        else expect(digest).to.equal(md5Of(Buffer.concat(parts.map((p) => Buffer.from(p)))))
        expect(md5.digest()).to.equal(digest)
      }), { numRuns: 200 })
  })
})
