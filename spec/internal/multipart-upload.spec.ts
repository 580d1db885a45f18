import { createHash, randomBytes } from 'node:crypto'
import { PassThrough, Readable } from 'node:stream'
import { expect } from 'chai'
import type { S3Client } from '@aws-sdk/client-s3'
import { MultipartUpload, type SendCommand } from '../../lib/internal/multipart-upload.js'

const MiB = 1024 * 1024
const params = { Bucket: 'logs', Key: 'k.ndjson.gz', ContentType: 'application/x-ndjson' }
/** Only the config is read; requests go through `send`. */
const client = { config: { requestChecksumCalculation: async () => 'WHEN_SUPPORTED' } } as unknown as S3Client

interface Sent { name: string, input: Record<string, unknown>, body?: Buffer, bodyBuffer?: ArrayBufferLike }

/**
 * A `send` that records every request (a copy of each part's bytes: part
 * buffers are reused) and answers at once, or as `answer` decides.
 */
function fakeSend (answer: (sent: Sent) => Promise<unknown> | undefined = () => undefined): { send: SendCommand, sent: Sent[] } {
  const sent: Sent[] = []
  const send: SendCommand = async (command) => {
    const input = command.input as unknown as Record<string, unknown>
    const body = input.Body as Buffer | undefined
    const s: Sent = { name: command.constructor.name, input, ...(body === undefined ? {} : { body: Buffer.from(body), bodyBuffer: body.buffer }) }
    sent.push(s)
    const custom = answer(s)
    if (custom !== undefined) return await custom
    if (s.name === 'CreateMultipartUploadCommand') return { UploadId: 'u1' }
    if (s.name === 'UploadPartCommand') return { ETag: `"e${String(input.PartNumber)}"`, ChecksumCRC32: `c${String(input.PartNumber)}` }
    return { ETag: '"done"' }
  }
  return { send, sent }
}

/** `data` as a stream of odd-sized chunks. */
function streamOf (data: Buffer, chunk = 100_003): Readable {
  const chunks: Buffer[] = []
  for (let i = 0; i < data.length; i += chunk) chunks.push(data.subarray(i, i + chunk))
  return Readable.from(chunks)
}

describe('MultipartUpload', () => {
  it('cuts a stream into parts of partSize in order, completes with every part, and knows the bytes and MD5', async () => {
    const data = randomBytes(12 * MiB + 5)
    const { send, sent } = fakeSend()
    const upload = new MultipartUpload({ client, params, body: streamOf(data), partSize: 5 * MiB, queueSize: 4, send })
    expect(await upload.done()).to.deep.equal({ ETag: '"done"' })
    expect(sent.map((s) => s.name)).to.deep.equal(['CreateMultipartUploadCommand', 'UploadPartCommand', 'UploadPartCommand', 'UploadPartCommand', 'CompleteMultipartUploadCommand'])
    expect(sent[0]!.input).to.include({ ...params, ChecksumAlgorithm: 'CRC32' })
    const parts = sent.filter((s) => s.name === 'UploadPartCommand')
    expect(Buffer.concat(parts.map((p) => p.body!)).equals(data)).to.equal(true)
    expect(parts.map((p) => p.input.PartNumber)).to.deep.equal([1, 2, 3])
    expect(parts.map((p) => p.input.UploadId)).to.deep.equal(['u1', 'u1', 'u1'])
    expect(sent[4]!.input).to.deep.include({
      ...params,
      UploadId: 'u1',
      MultipartUpload: { Parts: [1, 2, 3].map((n) => ({ PartNumber: n, ETag: `"e${n}"`, ChecksumCRC32: `c${n}` })) }
    })
    expect(upload.bytes).to.equal(data.length)
    expect(upload.md5()).to.equal(createHash('md5').update(data).digest('hex'))
    expect([...upload.partEtags]).to.deep.equal([[1, '"e1"'], [2, '"e2"'], [3, '"e3"']])
  })

  it('a body of exactly one part, or empty, is one PutObject', async () => {
    for (const size of [5 * MiB, 0]) {
      const data = randomBytes(size)
      const { send, sent } = fakeSend()
      const upload = new MultipartUpload({ client, params, body: streamOf(data), partSize: 5 * MiB, queueSize: 4, send })
      await upload.done()
      expect(sent.map((s) => s.name)).to.deep.equal(['PutObjectCommand'])
      expect(sent[0]!.body!.equals(data)).to.equal(true)
      expect(upload.uploadId).to.equal(undefined)
      // Its own answer says whether it is stored: the body is not hashed for a lost-answer check.
      expect(upload.md5()).to.equal(undefined)
    }
  })

  it('a small body holds a small buffer, not a whole part', async () => {
    const data = randomBytes(10_000)
    const { send, sent } = fakeSend()
    await new MultipartUpload({ client, params, body: streamOf(data, 1000), partSize: 5 * MiB, queueSize: 4, send }).done()
    expect(sent[0]!.body!.equals(data)).to.equal(true)
    expect(sent[0]!.bodyBuffer!.byteLength).to.be.at.most(64 * 1024)
  })

  it('cuts a Buffer body into views of it, without copying', async () => {
    const data = randomBytes(11 * MiB)
    const { send, sent } = fakeSend()
    await new MultipartUpload({ client, params, body: data, partSize: 5 * MiB, queueSize: 4, send }).done()
    const parts = sent.filter((s) => s.name === 'UploadPartCommand')
    expect(parts.map((p) => p.body!.length)).to.deep.equal([5 * MiB, 5 * MiB, MiB])
    expect(parts.every((p) => p.bodyBuffer === data.buffer)).to.equal(true)
  })

  it('reuses part buffers: at most queueSize + 1 of them for a body of any size', async () => {
    const { send, sent } = fakeSend()
    // 60 MiB: the same 5 MiB twelve times over, in 64 KiB chunks.
    const twelve = Readable.from((async function * () { for (let i = 0; i < 12; i++) for await (const c of streamOf(randomBytes(5 * MiB), 64 * 1024)) yield c })())
    await new MultipartUpload({ client, params, body: twelve, partSize: 5 * MiB, queueSize: 2, send }).done()
    const buffers = new Set(sent.filter((s) => s.name === 'UploadPartCommand').map((p) => p.bodyBuffer))
    expect(sent.filter((s) => s.name === 'UploadPartCommand')).to.have.length(12)
    expect(buffers.size).to.be.at.most(3)
  })

  it('a store that answers each part before the next outgrows its small start: one part buffer serves every part', async () => {
    // As over a network: the answer comes a turn of the event loop after the part was sent, and so does each chunk of the body.
    const { send, sent } = fakeSend((s) => s.name === 'UploadPartCommand' ? new Promise((resolve) => setImmediate(resolve, { ETag: '"e"' })) : undefined)
    const data = randomBytes(30 * MiB + 5)
    const chunks = streamOf(data, 64 * 1024)
    const body = Readable.from((async function * () { for await (const c of chunks) { await new Promise((resolve) => setImmediate(resolve)); yield c } })())
    await new MultipartUpload({ client, params, body, partSize: 5 * MiB, queueSize: 4, send }).done()
    const parts = sent.filter((s) => s.name === 'UploadPartCommand')
    expect(Buffer.concat(parts.map((p) => p.body!)).equals(data)).to.equal(true)
    expect(parts).to.have.length(7)
    expect(new Set(parts.slice(0, 6).map((p) => p.bodyBuffer)).size).to.equal(1)
  })

  it('a store slow to answer: each part gets its own buffer, still at most queueSize + 1', async () => {
    const answers: Array<() => void> = []
    const { send, sent } = fakeSend((s) => s.name === 'UploadPartCommand' ? new Promise((resolve) => { answers.push(() => { resolve({ ETag: '"e"' }) }) }) : undefined)
    const data = randomBytes(16 * MiB)
    const done = new MultipartUpload({ client, params, body: streamOf(data, 64 * 1024), partSize: 5 * MiB, queueSize: 2, send }).done()
    while (sent.filter((s) => s.name === 'UploadPartCommand').length < 2) await new Promise((resolve) => setImmediate(resolve))
    while (answers.length > 0 || sent.at(-1)?.name !== 'CompleteMultipartUploadCommand') {
      answers.shift()?.()
      await new Promise((resolve) => setImmediate(resolve))
    }
    await done
    const parts = sent.filter((s) => s.name === 'UploadPartCommand')
    expect(Buffer.concat(parts.map((p) => p.body!)).equals(data)).to.equal(true)
    expect(new Set(parts.slice(0, 2).map((p) => p.bodyBuffer)).size).to.equal(2)
    expect(new Set(parts.map((p) => p.bodyBuffer)).size).to.be.at.most(3)
  })

  it('backpressure: with queueSize parts unanswered, it reads no further than one more part', async () => {
    const answers: Array<() => void> = []
    const { send, sent } = fakeSend((s) => s.name === 'UploadPartCommand' ? new Promise((resolve) => { answers.push(() => { resolve({ ETag: '"e"' }) }) }) : undefined)
    const body = new PassThrough({ highWaterMark: 64 * 1024 })
    const upload = new MultipartUpload({ client, params, body, partSize: 5 * MiB, queueSize: 2, send })
    const done = upload.done()
    let written = 0
    const chunk = randomBytes(64 * 1024)
    // Writes until the body pushes back for good (nothing read for a while).
    for (;;) {
      if (!body.write(chunk)) {
        const drained = await Promise.race([new Promise((resolve) => body.once('drain', () => { resolve(true) })), new Promise((resolve) => setTimeout(resolve, 200, false))])
        if (drained === false) break
      }
      written += chunk.length
    }
    expect(sent.filter((s) => s.name === 'UploadPartCommand')).to.have.length(2)
    expect(upload.bytes).to.be.at.most(3 * 5 * MiB + 64 * 1024)
    expect(written).to.be.at.most(upload.bytes + 2 * 64 * 1024)
    body.end()
    while (answers.length > 0 || sent.at(-1)?.name !== 'CompleteMultipartUploadCommand') {
      answers.shift()?.()
      await new Promise((resolve) => setImmediate(resolve))
    }
    await done
  })

  it('a part that fails: done() rejects with its error once the other parts have settled, and nothing is completed', async () => {
    let releaseFirst: (() => void) | undefined
    let secondFailed = false
    const failure = new Error('AccessDenied')
    const { send, sent } = fakeSend((s) => {
      if (s.input.PartNumber === 1) return new Promise((resolve) => { releaseFirst = () => { resolve({ ETag: '"e1"' }) } })
      if (s.input.PartNumber === 2) { secondFailed = true; return Promise.reject(failure) }
      return undefined
    })
    const upload = new MultipartUpload({ client, params, body: streamOf(randomBytes(16 * MiB)), partSize: 5 * MiB, queueSize: 4, send })
    let settled = false
    const done = upload.done().finally(() => { settled = true })
    // Waits for both parts to be sent (however slow the machine), then gives the failure time to travel.
    while (releaseFirst === undefined || !secondFailed) await new Promise((resolve) => setTimeout(resolve, 5))
    await new Promise((resolve) => setTimeout(resolve, 20))
    expect(settled).to.equal(false)
    releaseFirst()
    expect(await done.catch((e: unknown) => e)).to.equal(failure)
    expect(sent.map((s) => s.name)).to.not.include('CompleteMultipartUploadCommand')
    expect(upload.uploadId).to.equal('u1')
  })

  it('a body that fails mid-way fails the upload, never completes it short', async () => {
    const body = new PassThrough()
    const { send, sent } = fakeSend()
    const upload = new MultipartUpload({ client, params, body, partSize: 5 * MiB, queueSize: 4, send })
    const done = upload.done()
    body.write(randomBytes(6 * MiB))
    await new Promise((resolve) => setTimeout(resolve, 20))
    body.destroy(new Error('source failed'))
    expect(String(await done.catch((e: unknown) => e))).to.contain('source failed')
    expect(sent.map((s) => s.name)).to.not.include('CompleteMultipartUploadCommand')
  })

  it('abort(): done() rejects at once with an AbortError, whatever is still in flight', async () => {
    const { send } = fakeSend((s) => s.name === 'UploadPartCommand' ? new Promise(() => {}) : undefined)
    const upload = new MultipartUpload({ client, params, body: streamOf(randomBytes(11 * MiB)), partSize: 5 * MiB, queueSize: 4, send })
    const done = upload.done()
    await new Promise((resolve) => setTimeout(resolve, 20))
    upload.abort()
    expect(await done.catch((e: unknown) => (e as Error).name)).to.equal('AbortError')
  })
})
