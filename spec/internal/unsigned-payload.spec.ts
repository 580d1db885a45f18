import { createHash } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { CreateMultipartUploadCommand, PutObjectCommand, S3Client, UploadPartCommand } from '@aws-sdk/client-s3'
import { HttpResponse } from '@smithy/core/protocols'
import { createUploadClient, type S3ConnectionOptions } from '../../lib/internal/s3-client.js'
import { mayLeavePayloadUnsigned, skipPayloadHash } from '../../lib/internal/unsigned-payload.js'
import { gzip, minuteWindow, s3Writable } from '../../lib/index.js'
import { manualClock } from '../helpers/manual-clock.js'
import { source } from '../helpers/streams.js'

interface Sent { protocol: string, hostname: string, method: string, headers: Record<string, string>, body: unknown }

/** The SDK's request as the innermost middleware sees it: signed, about to go to the request handler. */
type Outgoing = Sent & { query?: Record<string, unknown> }
type Recorder = (next: unknown) => (args: { request: Outgoing }) => Promise<{ response: HttpResponse, output: object }>

/**
 * Records what a client would send, after signing, and answers 200 at once: no network. Added through the
 * middleware stack's public API as the innermost middleware (step `deserialize`, priority `low`: after signing, just
 * before the request handler, whose call it stands in for), so neither the client's config nor its handler is touched.
 */
function record (client: S3Client): Sent[] {
  const sent: Sent[] = []
  const recorder: Recorder = () => async ({ request }) => {
    sent.push({ protocol: request.protocol, hostname: request.hostname, method: request.method, headers: { ...request.headers }, body: request.body })
    const xml = request.method === 'POST' && 'uploads' in (request.query ?? {})
      ? '<InitiateMultipartUploadResult><UploadId>u1</UploadId></InitiateMultipartUploadResult>'
      : ''
    const body = Readable.from(xml === '' ? [] : [Buffer.from(xml)])
    return { response: new HttpResponse({ statusCode: 200, headers: { etag: '"e"' }, body }), output: {} }
  }
  client.middlewareStack.add(recorder as unknown as Parameters<S3Client['middlewareStack']['add']>[0],
    { step: 'deserialize', priority: 'low', name: 'specRecorder' })
  return sent
}

const KEYS = { accessKeyId: 'AKIDEXAMPLE', secretAccessKey: 'wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY' }
const body = Buffer.from('{"a":1}\n'.repeat(1000))
const sha256 = createHash('sha256').update(body).digest('hex')

/** The sink's own client (`createUploadClient`) as built, with a recorder in place of the network. */
function uploadClient (options: S3ConnectionOptions): { client: S3Client, sent: Sent[] } {
  const client = createUploadClient({ ...KEYS, ...options }, 'options')
  return { client, sent: record(client) }
}

/** Sends one PutObject and one UploadPart of `body`; returns the two requests as sent. */
async function sendBoth (client: S3Client, sent: Sent[]): Promise<Sent[]> {
  await client.send(new PutObjectCommand({ Bucket: 'logs', Key: 'a.ndjson', Body: body }))
  await client.send(new UploadPartCommand({ Bucket: 'logs', Key: 'b.ndjson', UploadId: 'u1', PartNumber: 1, Body: body }))
  return sent.slice(-2)
}

const checksumHeaders = (s: Sent): string[] => Object.keys(s.headers).filter((h) => h.toLowerCase().startsWith('x-amz-checksum-'))

describe('the SigV4 payload hash: UNSIGNED-PAYLOAD on AWS over HTTPS where a CRC32 covers the body', () => {
  it("on AWS's own endpoint (https) PutObject and UploadPart go UNSIGNED-PAYLOAD with a CRC32, still signed", async () => {
    const { client, sent } = uploadClient({ region: 'eu-west-1' })
    for (const request of await sendBoth(client, sent)) {
      expect(request.protocol).to.equal('https:')
      expect(request.hostname).to.match(/\.amazonaws\.com$/)
      expect(request.headers['x-amz-content-sha256']).to.equal('UNSIGNED-PAYLOAD')
      expect(request.headers['x-amz-checksum-crc32']).to.match(/^[A-Za-z0-9+/]{6}==$/)
      // Still SigV4: the headers are signed, the checksum header among them.
      expect(request.headers.authorization).to.match(/^AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE\//)
      expect(request.headers.authorization).to.match(/SignedHeaders=[^,]*x-amz-checksum-crc32;[^,]*x-amz-content-sha256/)
      expect(request.body).to.equal(body)
    }
  })

  it('every other request of that client keeps its own payload hash (CreateMultipartUpload: the empty body\'s)', async () => {
    const { client, sent } = uploadClient({ region: 'eu-west-1' })
    await client.send(new CreateMultipartUploadCommand({ Bucket: 'logs', Key: 'b.ndjson' }))
    expect(sent[0]!.headers['x-amz-content-sha256']).to.equal(createHash('sha256').digest('hex'))
  })

  it('on a custom endpoint, https or http, the body is hashed as before', async () => {
    for (const endpoint of ['https://minio.example:9000', 'http://127.0.0.1:9000']) {
      const { client, sent } = uploadClient({ region: 'us-east-1', endpoint, forcePathStyle: true })
      for (const request of await sendBoth(client, sent)) {
        expect(request.protocol).to.equal(new URL(endpoint).protocol)
        expect(checksumHeaders(request)).to.deep.equal(['x-amz-checksum-crc32'])
        expect(request.headers['x-amz-content-sha256']).to.equal(sha256)
      }
    }
  })

  it('with AWS_ENDPOINT_URL_S3 set (the SDK does not mark the client custom) the body is hashed', async () => {
    const saved = process.env.AWS_ENDPOINT_URL_S3
    process.env.AWS_ENDPOINT_URL_S3 = 'https://store.example'
    try {
      const { client, sent } = uploadClient({ region: 'us-east-1' })
      for (const request of await sendBoth(client, sent)) {
        expect(request.hostname).to.match(/store\.example$/)
        expect(request.headers['x-amz-content-sha256']).to.equal(sha256)
      }
    } finally {
      if (saved === undefined) delete process.env.AWS_ENDPOINT_URL_S3
      else process.env.AWS_ENDPOINT_URL_S3 = saved
    }
  })

  it('without a checksum header (WHEN_REQUIRED, the r2 profile) the body is hashed, on AWS\'s endpoint too', async () => {
    const r2 = uploadClient({ store: 'r2', endpoint: 'https://account.r2.cloudflarestorage.com' })
    for (const request of await sendBoth(r2.client, r2.sent)) {
      expect(checksumHeaders(request)).to.deep.equal([])
      expect(request.headers['x-amz-content-sha256']).to.equal(sha256)
    }
    const client = new S3Client({ region: 'eu-west-1', credentials: KEYS, requestChecksumCalculation: 'WHEN_REQUIRED' })
    const sent = record(client)
    skipPayloadHash(client)
    for (const request of await sendBoth(client, sent)) {
      expect(request.protocol).to.equal('https:')
      expect(checksumHeaders(request)).to.deep.equal([])
      expect(request.headers['x-amz-content-sha256']).to.equal(sha256)
    }
  })

  it("a caller's client, even on AWS's endpoint, keeps the body's SHA-256 through the sink", async () => {
    const client = new S3Client({ region: 'eu-west-1', credentials: KEYS })
    const sent = record(client)
    await pipeline(source([{ a: 1 }, { a: 2 }]), minuteWindow({ clock: manualClock(Date.UTC(2026, 10, 25, 14, 3, 7)) }), gzip(),
      s3Writable({ bucket: 'logs', client, prefix: 'runs' }))
    const puts = sent.filter((s) => s.method === 'PUT')
    expect(puts).to.have.length(1)
    expect(puts[0]!.headers['x-amz-checksum-crc32']).to.be.a('string')
    expect(puts[0]!.headers['x-amz-content-sha256']).to.equal(createHash('sha256').update(puts[0]!.body as Buffer).digest('hex'))
  })

  it('mayLeavePayloadUnsigned: https, a checksum value header, no content hash chosen yet', () => {
    const crc = { 'x-amz-checksum-crc32': 'AAAAAA==' }
    expect(mayLeavePayloadUnsigned({ protocol: 'https:', headers: crc })).to.equal(true)
    expect(mayLeavePayloadUnsigned({ protocol: 'https:', headers: { 'X-Amz-Checksum-CRC64NVME': 'AAAAAAAAAAA=' } })).to.equal(true)
    expect(mayLeavePayloadUnsigned({ protocol: 'http:', headers: crc })).to.equal(false)
    expect(mayLeavePayloadUnsigned({ protocol: 'https:', headers: {} })).to.equal(false)
    expect(mayLeavePayloadUnsigned({ protocol: 'https:', headers: { 'x-amz-checksum-type': 'FULL_OBJECT' } })).to.equal(false)
    expect(mayLeavePayloadUnsigned({ protocol: 'https:', headers: { ...crc, 'x-amz-content-sha256': 'STREAMING-UNSIGNED-PAYLOAD-TRAILER' } })).to.equal(false)
    expect(mayLeavePayloadUnsigned({ protocol: 'https:' })).to.equal(false)
  })
})
