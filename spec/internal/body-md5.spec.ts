import { createHash, randomBytes } from 'node:crypto'
import { Readable } from 'node:stream'
import { expect } from 'chai'
import { S3Client } from '@aws-sdk/client-s3'
import { MultipartUpload, type SendCommand } from '../../lib/internal/multipart-upload.js'
import { learnMultipartEtag, needsBodyMd5 } from '../../lib/internal/body-md5.js'

const MiB = 1024 * 1024
const params = { Bucket: 'logs', Key: 'k.ndjson' }
const S3_FORM = '"0123456789abcdef0123456789abcdef-3"'

/** A client as MultipartUpload reads it (its config only), AWS's own endpoint or a custom one. */
function clientAt (custom: boolean): S3Client {
  return { config: { isCustomEndpoint: custom, requestChecksumCalculation: async () => 'WHEN_SUPPORTED' } } as unknown as S3Client
}

/** A `send` answering every request at once; CompleteMultipartUpload with `complete`'s ETag; `onPart` sees each part. */
function store (complete: string, onPart: (n: number) => void = () => {}): SendCommand {
  return async (command) => {
    const input = command.input as { PartNumber?: number }
    const name = command.constructor.name
    if (name === 'CreateMultipartUploadCommand') return { UploadId: 'u1' }
    if (name === 'UploadPartCommand') { onPart(input.PartNumber ?? 0); return { ETag: `"p${String(input.PartNumber)}"` } }
    return { ETag: complete }
  }
}

async function upload (client: S3Client, send: SendCommand, data = randomBytes(11 * MiB)): Promise<{ md5: string | undefined, data: Buffer }> {
  const chunks: Buffer[] = []
  for (let i = 0; i < data.length; i += 256 * 1024) chunks.push(data.subarray(i, i + 256 * 1024))
  const job = new MultipartUpload({ client, params, body: Readable.from(chunks), partSize: 5 * MiB, queueSize: 2, send })
  await job.done()
  return { md5: job.md5(), data }
}

const md5Of = (data: Buffer): string => createHash('md5').update(data).digest('hex')

describe('the whole-body MD5 of a multipart body: hashed only where a store may tag the object with it', () => {
  it('needsBodyMd5: not for AWS\'s own endpoints, yes for a custom one or a client without the SDK\'s config', async () => {
    expect(await needsBodyMd5(new S3Client({ region: 'us-east-1' }))).to.equal(false)
    expect(await needsBodyMd5(new S3Client({ region: 'us-east-1', endpoint: 'http://127.0.0.1:9000' }))).to.equal(true)
    expect(await needsBodyMd5({ config: {} })).to.equal(true)
    expect(await needsBodyMd5({})).to.equal(true)
  })

  it('needsBodyMd5: an endpoint from AWS_ENDPOINT_URL_S3 is a custom one (the SDK does not mark the client so)', async () => {
    const before = process.env.AWS_ENDPOINT_URL_S3
    process.env.AWS_ENDPOINT_URL_S3 = 'http://127.0.0.1:9000'
    try {
      const client = new S3Client({ region: 'us-east-1' })
      expect(client.config.isCustomEndpoint).to.equal(false)
      expect(await needsBodyMd5(client)).to.equal(true)
      expect(await needsBodyMd5(new S3Client({ region: 'us-east-1', ignoreConfiguredEndpointUrls: true }))).to.equal(false)
    } finally {
      if (before === undefined) delete process.env.AWS_ENDPOINT_URL_S3
      else process.env.AWS_ENDPOINT_URL_S3 = before
    }
  })

  it('learns from a multipart object\'s ETag: S3\'s form stops hashing, a plain MD5 keeps it, anything else teaches nothing', async () => {
    const custom = clientAt(true)
    learnMultipartEtag(custom, '"done"')
    learnMultipartEtag(custom, undefined)
    expect(await needsBodyMd5(custom)).to.equal(true)
    learnMultipartEtag(custom, S3_FORM)
    expect(await needsBodyMd5(custom)).to.equal(false)
    learnMultipartEtag(custom, `"${md5Of(Buffer.from('x'))}"`)
    expect(await needsBodyMd5(custom)).to.equal(true)
    // A client on AWS's endpoint told otherwise (an endpoint provider of the caller's pointing elsewhere) follows what it saw.
    const aws = clientAt(false)
    learnMultipartEtag(aws, `"${md5Of(Buffer.from('x'))}"`)
    expect(await needsBodyMd5(aws)).to.equal(true)
  })

  it('AWS\'s endpoint: a multipart body is never hashed', async () => {
    const client = clientAt(false)
    for (let i = 0; i < 2; i++) expect((await upload(client, store(S3_FORM))).md5).to.equal(undefined)
  })

  it('a custom endpoint: the first body is hashed; once a Complete answers in S3\'s form, later bodies are not', async () => {
    const client = clientAt(true)
    const first = await upload(client, store(S3_FORM))
    expect(first.md5).to.equal(md5Of(first.data))
    expect((await upload(client, store(S3_FORM))).md5).to.equal(undefined)
    // Another client of the same store has learned nothing yet.
    const other = await upload(clientAt(true), store(S3_FORM))
    expect(other.md5).to.equal(md5Of(other.data))
  })

  it('a custom endpoint whose multipart ETag is the body\'s MD5 (s3rver): every body is hashed', async () => {
    const client = clientAt(true)
    for (let i = 0; i < 3; i++) {
      const data = randomBytes(11 * MiB)
      const { md5 } = await upload(client, store(`"${md5Of(data)}"`), data)
      expect(md5).to.equal(md5Of(data))
    }
  })

  it('a body being hashed gives up as soon as another body shows the store\'s S3 form', async () => {
    const client = clientAt(true)
    const { md5 } = await upload(client, store('"done"', (n) => { if (n === 2) learnMultipartEtag(client, S3_FORM) }))
    expect(md5).to.equal(undefined)
  })
})
