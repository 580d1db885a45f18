import { randomBytes } from 'node:crypto'
import { request } from 'node:http'
import { expect } from 'chai'
import { GetObjectCommand, PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { requestKind, startFaultProxy, type FaultProxy, type FaultProxyOptions } from '../helpers/fault-proxy.js'
import { sha256, startS3rver, type LocalS3 } from '../helpers/s3rver.js'

describe('spec helper: startFaultProxy()', function () {
  this.timeout(20_000)
  let s3: LocalS3
  const open: FaultProxy[] = []
  const clients: S3Client[] = []

  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket('proxied')
  })
  after(async () => { await s3.close() })
  afterEach(async () => {
    for (const client of clients.splice(0)) client.destroy()
    for (const proxy of open.splice(0)) await proxy.close()
  })

  async function proxied (options: Omit<FaultProxyOptions, 'target'> = {}, maxAttempts = 1): Promise<{ proxy: FaultProxy, client: S3Client }> {
    const proxy = await startFaultProxy({ target: s3.endpoint, ...options })
    open.push(proxy)
    const client = new S3Client({ ...s3.config, endpoint: proxy.endpoint, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, maxAttempts })
    clients.push(client)
    return { proxy, client }
  }

  it('forwards bodies and headers both ways, byte for byte', async () => {
    const { proxy, client } = await proxied()
    const data = randomBytes(3 * 1024 * 1024 + 17)
    await client.send(new PutObjectCommand({ Bucket: 'proxied', Key: 'blob.bin', Body: data, ContentType: 'application/x-test', Metadata: { origin: 'proxy' } }))
    const res = await client.send(new GetObjectCommand({ Bucket: 'proxied', Key: 'blob.bin' }))
    expect(sha256(Buffer.from(await res.Body!.transformToByteArray()))).to.equal(sha256(data))
    expect(res).to.include({ ContentType: 'application/x-test', ContentLength: data.length })
    expect(res.Metadata).to.deep.equal({ origin: 'proxy' })
    expect(sha256((await s3.getObject('proxied', 'blob.bin')).body)).to.equal(sha256(data))
    expect(proxy.events.map((e) => [e.kind, e.fault])).to.deep.equal([['PutObject', null], ['GetObject', null]])
  })

  it('answers error faults with S3 XML that the SDK parses (SlowDown 503, InternalError 500, AccessDenied 403)', async () => {
    for (const [fault, name, status] of [['slowDown', 'SlowDown', 503], ['internalError', 'InternalError', 500], ['accessDenied', 'AccessDenied', 403]] as const) {
      const { client } = await proxied({ rates: { [fault]: 1 } })
      const err = await client.send(new PutObjectCommand({ Bucket: 'proxied', Key: 'k', Body: 'x' })).catch((e: unknown) => e) as { name: string, $metadata: { httpStatusCode: number } }
      expect([err.name, err.$metadata.httpStatusCode]).to.deep.equal([name, status])
    }
  })

  it('resets the connection, or stalls until the client gives up', async () => {
    const { client: resetting } = await proxied({ rates: { reset: 1 } })
    expect(await resetting.send(new PutObjectCommand({ Bucket: 'proxied', Key: 'k', Body: 'x' })).catch((e: unknown) => e)).to.include({ code: 'ECONNRESET' })
    const { proxy } = await proxied({ rates: { stall: 1 } })
    const stalled = new S3Client({ ...s3.config, endpoint: proxy.endpoint, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, maxAttempts: 1, requestHandler: { requestTimeout: 100, throwOnRequestTimeout: true } })
    clients.push(stalled)
    expect(await stalled.send(new PutObjectCommand({ Bucket: 'proxied', Key: 'k', Body: 'x' })).catch((e: unknown) => e)).to.include({ name: 'TimeoutError' })
  })

  it('draws the same faults from the same seed', async () => {
    const sequence = async (): Promise<unknown[]> => {
      const { proxy, client } = await proxied({ seed: 42, rates: { internalError: 0.3, slowDown: 0.2 } })
      for (let i = 0; i < 20; i++) await client.send(new PutObjectCommand({ Bucket: 'proxied', Key: `k${i}`, Body: 'x' })).catch(() => {})
      return proxy.events.map((e) => e.fault)
    }
    const first = await sequence()
    expect(first.filter((f) => f !== null)).to.have.length.greaterThan(3)
    expect(await sequence()).to.deep.equal(first)
  })

  it('limits faults to the kinds in `only`, to `maxFaults`, and to `maxFaultsPerRequest` per request', async () => {
    const { proxy, client } = await proxied({ rates: { internalError: 1 }, only: ['PutObject'], maxFaultsPerRequest: 2 }, 3)
    await client.send(new PutObjectCommand({ Bucket: 'proxied', Key: 'k', Body: 'x' }))
    await client.send(new GetObjectCommand({ Bucket: 'proxied', Key: 'k' }))
    expect(proxy.events.map((e) => [e.kind, e.fault, e.attempt])).to.deep.equal([
      ['PutObject', 'internalError', 1], ['PutObject', 'internalError', 2], ['PutObject', null, 3], ['GetObject', null, 1]
    ])
    const { proxy: capped, client: c2 } = await proxied({ rates: { internalError: 1 }, maxFaults: 1 }, 3)
    await c2.send(new PutObjectCommand({ Bucket: 'proxied', Key: 'k', Body: 'x' }))
    expect(capped.totalFaults).to.equal(1)
    expect(capped.faults.internalError).to.equal(1)
  })

  it('conditionalWrites: answers If-None-Match "*" with 412 once the key holds an object, as S3 does', async () => {
    const { proxy, client } = await proxied({ conditionalWrites: true })
    const put = async (): Promise<unknown> => await client.send(new PutObjectCommand({ Bucket: 'proxied', Key: 'once', Body: 'x', IfNoneMatch: '*' })).then(() => 'stored', (e: unknown) => e)
    expect(await put()).to.equal('stored')
    expect(await put()).to.include({ name: 'PreconditionFailed' })
    await client.send(new PutObjectCommand({ Bucket: 'proxied', Key: 'once', Body: 'y' }))
    expect(proxy.preconditionFailed).to.equal(1)
  })

  it('stallMs: a stall ends with a reset after that long', async () => {
    const { client } = await proxied({ rates: { stall: 1 }, stallMs: 50 })
    expect(await client.send(new PutObjectCommand({ Bucket: 'proxied', Key: 'k', Body: 'x' })).catch((e: unknown) => e)).to.include({ code: 'ECONNRESET' })
  })

  it('close() returns even while a request is stalled', async () => {
    const proxy = await startFaultProxy({ target: s3.endpoint, rates: { stall: 1 } })
    const url = new URL(proxy.endpoint)
    const req = request({ host: url.hostname, port: url.port, path: '/proxied/k', method: 'GET' })
    const failed = new Promise((resolve) => req.on('error', resolve))
    req.end()
    while (proxy.events.length === 0) await new Promise((resolve) => setImmediate(resolve))
    await proxy.close()
    expect(await failed).to.include({ code: 'ECONNRESET' })
  })

  it('tells S3 operations apart by method, path and query', () => {
    const table: Array<[string, string, string]> = [
      ['PUT', '/b', 'CreateBucket'],
      ['GET', '/b?list-type=2', 'ListObjects'],
      ['GET', '/b?uploads', 'ListMultipartUploads'],
      ['PUT', '/b/a/key.gz?x-id=PutObject', 'PutObject'],
      ['POST', '/b/key?uploads', 'CreateMultipartUpload'],
      ['PUT', '/b/key?partNumber=2&uploadId=u&x-id=UploadPart', 'UploadPart'],
      ['POST', '/b/key?uploadId=u', 'CompleteMultipartUpload'],
      ['DELETE', '/b/key?uploadId=u&x-id=AbortMultipartUpload', 'AbortMultipartUpload'],
      ['GET', '/b/key?uploadId=u', 'ListParts'],
      ['GET', '/b/key?x-id=GetObject', 'GetObject'],
      ['HEAD', '/b/key', 'HeadObject'],
      ['DELETE', '/b/key', 'DeleteObject']
    ]
    expect(table.map(([method, url]) => requestKind(method, url))).to.deep.equal(table.map(([, , kind]) => kind))
  })
})
