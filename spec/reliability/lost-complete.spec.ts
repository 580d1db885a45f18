import { createHash } from 'node:crypto'
import { PassThrough } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand, S3Client, UploadPartCommand
} from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { s3Writable } from '../../lib/index.js'
import { multipartEtag } from '../../lib/internal/stored-object.js'
import { fastClock } from '../helpers/fast-clock.js'
import { handBatch, source } from '../helpers/streams.js'

const MiB = 1024 * 1024
const BODY = Buffer.alloc(11 * MiB, 0x61)
/** The ETag a store that tags multipart objects with the body's MD5 (s3rver) gives this body. */
const BODY_MD5 = `"${createHash('md5').update(BODY).digest('hex')}"`
/** S3's ETag of this body sent in 5 MiB parts, from the parts' ETags the mock answers. */
const S3_ETAG = `"${multipartEtag(new Map([[1, '"part-1"'], [2, '"part-2"'], [3, '"part-3"']]))!}"`

function awsError (name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, $fault: status >= 500 ? 'server' : 'client' })
}

/** A mocked client on AWS's endpoint or a custom one; its CompleteMultipartUpload answers `complete`. */
function storeClient (endpoint: string | undefined, complete: string): { client: S3Client, mock: ReturnType<typeof mockClient> } {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' }, ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: true }) })
  const mock = mockClient(client)
  mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' })
  mock.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({ ETag: `"part-${input.PartNumber}"` }))
  mock.on(CompleteMultipartUploadCommand).resolves({ ETag: complete })
  mock.on(AbortMultipartUploadCommand).resolves({})
  return { client, mock }
}

/** The next Complete's answer is lost (its retry finds the upload gone), and HeadObject shows an object of this size tagged `etag`. */
function loseComplete (mock: ReturnType<typeof mockClient>, etag: string): void {
  let attempts = 0
  mock.on(CompleteMultipartUploadCommand).callsFake(() => { throw ++attempts === 1 ? awsError('InternalError', 500) : awsError('NoSuchUpload', 404) })
  mock.on(HeadObjectCommand).resolves({ ContentLength: BODY.length, ETag: etag })
}

/** Sends BODY as one multipart object through `client`; the stored ETag, or the error. */
async function send (client: S3Client): Promise<string | Error> {
  const body = new PassThrough()
  body.end(BODY)
  const sink = s3Writable({ bucket: 'b', client, clock: fastClock() })
  let etag = ''
  sink.on('object', (o: { etag: string }) => { etag = o.etag })
  return await pipeline(source([handBatch(body, { key: 'big' })]), sink).then(() => etag, (err: Error) => err)
}

describe('reliability: a lost CompleteMultipartUpload answer, and the body\'s MD5 only where a store tags objects with it (aws-sdk-client-mock)', function () {
  this.timeout(20_000)

  it('AWS\'s endpoint: recognised from the parts\' ETags; the body is not hashed (an ETag equal to its MD5 is not taken as ours)', async () => {
    const recognised = storeClient(undefined, S3_ETAG)
    loseComplete(recognised.mock, S3_ETAG)
    expect(await send(recognised.client)).to.equal(S3_ETAG)
    const plain = storeClient(undefined, S3_ETAG)
    loseComplete(plain.mock, BODY_MD5)
    expect(await send(plain.client)).to.include({ code: 'ERR_S3_UPLOAD', key: 'big' })
  })

  it('a custom endpoint not seen yet: the body is hashed, and a store tagging it with the body\'s MD5 is recognised', async () => {
    const { client, mock } = storeClient('http://127.0.0.1:9', S3_ETAG)
    loseComplete(mock, BODY_MD5)
    expect(await send(client)).to.equal(BODY_MD5)
    expect(mock.commandCalls(HeadObjectCommand)).to.have.length(1)
  })

  it('a custom endpoint that answered a Complete in S3\'s form: later bodies are not hashed, and a lost answer is still recognised from the parts', async () => {
    for (const [etag, recognised] of [[S3_ETAG, true], [BODY_MD5, false]] as const) {
      const { client, mock } = storeClient('http://127.0.0.1:9', S3_ETAG)
      expect(await send(client)).to.equal(S3_ETAG)
      loseComplete(mock, etag)
      const second = await send(client)
      if (recognised) expect(second).to.equal(S3_ETAG)
      else expect(second).to.include({ code: 'ERR_S3_UPLOAD', key: 'big' })
    }
  })

  it('a custom endpoint that tags multipart objects with the body\'s MD5 (as s3rver): later bodies are hashed and recognised', async () => {
    const { client, mock } = storeClient('http://127.0.0.1:9', BODY_MD5)
    expect(await send(client)).to.equal(BODY_MD5)
    loseComplete(mock, BODY_MD5)
    expect(await send(client)).to.equal(BODY_MD5)
  })
})
