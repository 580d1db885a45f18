import { inspect } from 'node:util'
import { expect } from 'chai'
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, S3Client, type MultipartUpload } from '@aws-sdk/client-s3'
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock'
import { abortIncompleteUploads, ListUploadsError, type AbortIncompleteUploadsOptions } from '../../lib/admin/abort-incomplete-uploads.js'
import type { S3SinkConfig } from '../../lib/sinks/sink-config.js'
import { startS3rver } from '../helpers/s3rver.js'

const HOUR = 60 * 60 * 1000
const NOW = Date.UTC(2026, 10, 25, 12, 0, 0)
const at = (ms: number): Date => new Date(ms)
const upload = (key: string, initiated: Date | undefined, uploadId = `id-${key}`): MultipartUpload => ({ Key: key, UploadId: uploadId, Initiated: initiated })

function fake (): { client: S3Client, mock: AwsClientStub<S3Client> } {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } })
  const mock = mockClient(client)
  mock.on(AbortMultipartUploadCommand).resolves({})
  return { client, mock }
}

function abortedIds (mock: AwsClientStub<S3Client>): Array<string | undefined> {
  return mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input.UploadId)
}

describe('abortIncompleteUploads()', () => {
  let s: ReturnType<typeof fake>
  beforeEach(() => { s = fake() })
  afterEach(() => { s.mock.reset(); s.client.destroy() })

  it('aborts the uploads initiated before the cutoff under the prefix, and reports them', async () => {
    s.mock.on(ListMultipartUploadsCommand).resolves({
      IsTruncated: false,
      Uploads: [upload('logs/a', at(NOW - 3 * HOUR)), upload('logs/b', at(NOW - 10 * 60_000)), upload('logs/c', at(NOW - 2 * HOUR))]
    })
    const result = await abortIncompleteUploads({ client: s.client, bucket: 'bkt', prefix: 'logs', olderThan: at(NOW - HOUR) })
    expect(s.mock.commandCalls(ListMultipartUploadsCommand)[0]!.args[0].input).to.deep.equal({ Bucket: 'bkt', Prefix: 'logs/', KeyMarker: undefined, UploadIdMarker: undefined })
    expect(s.mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).to.deep.equal([
      { Bucket: 'bkt', Key: 'logs/a', UploadId: 'id-logs/a' },
      { Bucket: 'bkt', Key: 'logs/c', UploadId: 'id-logs/c' }
    ])
    expect(result).to.deep.equal({
      aborted: [{ key: 'logs/a', uploadId: 'id-logs/a', initiated: at(NOW - 3 * HOUR) }, { key: 'logs/c', uploadId: 'id-logs/c', initiated: at(NOW - 2 * HOUR) }],
      failed: []
    })
  })

  it('follows every page of the listing with its key and upload-id markers', async () => {
    const old = at(NOW - 5 * HOUR)
    s.mock.on(ListMultipartUploadsCommand)
      .resolvesOnce({ IsTruncated: true, NextKeyMarker: 'k2', NextUploadIdMarker: 'u2', Uploads: [upload('k1', old), upload('k2', old, 'u2')] })
      .resolvesOnce({ IsTruncated: true, NextKeyMarker: 'k2', NextUploadIdMarker: 'u3', Uploads: [upload('k2', old, 'u3')] })
      .resolvesOnce({ IsTruncated: false, Uploads: [upload('k4', old)] })
    const result = await abortIncompleteUploads({ client: s.client, bucket: 'bkt', olderThan: at(NOW) })
    const lists = s.mock.commandCalls(ListMultipartUploadsCommand).map((c) => c.args[0].input)
    expect(lists.map((i) => [i.Prefix, i.KeyMarker, i.UploadIdMarker])).to.deep.equal([[undefined, undefined, undefined], [undefined, 'k2', 'u2'], [undefined, 'k2', 'u3']])
    expect(abortedIds(s.mock)).to.deep.equal(['id-k1', 'u2', 'u3', 'id-k4'])
    expect(result.aborted.map((u) => u.uploadId)).to.deep.equal(['id-k1', 'u2', 'u3', 'id-k4'])
  })

  describe('olderThan', () => {
    it('as a Date: only uploads initiated strictly before it', async () => {
      s.mock.on(ListMultipartUploadsCommand).resolves({ Uploads: [upload('before', at(NOW - 1)), upload('exactly', at(NOW)), upload('after', at(NOW + 1))] })
      const { aborted } = await abortIncompleteUploads({ client: s.client, bucket: 'bkt', olderThan: at(NOW) })
      expect(aborted.map((u) => u.key)).to.deep.equal(['before'])
    })

    it('as an age in ms, counted from now', async () => {
      const now = Date.now()
      s.mock.on(ListMultipartUploadsCommand).resolves({ Uploads: [upload('two-days', at(now - 48 * HOUR)), upload('an-hour', at(now - HOUR)), upload('just-now', at(now))] })
      const { aborted } = await abortIncompleteUploads({ client: s.client, bucket: 'bkt', olderThan: 24 * HOUR })
      expect(aborted.map((u) => u.key)).to.deep.equal(['two-days'])
    })

    it('a Date in the future is refused before anything is listed (it would abort uploads in progress); now and 0 are fine', async () => {
      s.mock.on(ListMultipartUploadsCommand).resolves({ Uploads: [upload('old', at(NOW))] })
      const err = await abortIncompleteUploads({ client: s.client, bucket: 'bkt', olderThan: new Date(Date.now() + 60_000) }).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_INVALID_OPTION', option: 'options.olderThan' })
      expect((err as Error).message).to.match(/in the future.*give 0/)
      expect(s.mock.commandCalls(ListMultipartUploadsCommand)).to.have.length(0)
      expect((await abortIncompleteUploads({ client: s.client, bucket: 'bkt', olderThan: new Date() })).aborted.map((u) => u.key)).to.deep.equal(['old'])
      expect((await abortIncompleteUploads({ client: s.client, bucket: 'bkt', olderThan: 0 })).aborted.map((u) => u.key)).to.deep.equal(['old'])
    })

    it('an upload without an Initiated date is never aborted: its age is unknown', async () => {
      s.mock.on(ListMultipartUploadsCommand).resolves({ Uploads: [upload('undated', undefined), { Key: 'no-id', Initiated: at(0) }] })
      const result = await abortIncompleteUploads({ client: s.client, bucket: 'bkt', olderThan: 0 })
      expect(result).to.deep.equal({ aborted: [], failed: [] })
      expect(abortedIds(s.mock)).to.deep.equal([])
    })
  })

  it('reports a failing abort in `failed` instead of throwing, and goes on with the others', async () => {
    const denied = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' })
    s.mock.on(ListMultipartUploadsCommand).resolves({ Uploads: [upload('a', at(0)), upload('b', at(0)), upload('c', at(0))] })
    s.mock.on(AbortMultipartUploadCommand, { Key: 'b' }).rejects(denied)
    const result = await abortIncompleteUploads({ client: s.client, bucket: 'bkt', olderThan: HOUR })
    expect(result.aborted.map((u) => u.key)).to.deep.equal(['a', 'c'])
    expect(result.failed).to.deep.equal([{ key: 'b', uploadId: 'id-b', initiated: at(0), error: denied }])
  })

  it('counts an upload already gone (NoSuchUpload) as aborted', async () => {
    s.mock.on(ListMultipartUploadsCommand).resolves({ Uploads: [upload('gone', at(0))] })
    s.mock.on(AbortMultipartUploadCommand).rejects(Object.assign(new Error('gone'), { name: 'NoSuchUpload' }))
    const result = await abortIncompleteUploads({ client: s.client, bucket: 'bkt', olderThan: HOUR })
    expect(result).to.deep.equal({ aborted: [{ key: 'gone', uploadId: 'id-gone', initiated: at(0) }], failed: [] })
  })

  it('dryRun: lists what is due and aborts nothing', async () => {
    s.mock.on(ListMultipartUploadsCommand).resolves({ Uploads: [upload('old', at(0)), upload('new', at(Date.now() + HOUR))] })
    const result = await abortIncompleteUploads({ client: s.client, bucket: 'bkt', olderThan: HOUR, dryRun: true })
    expect(result.aborted.map((u) => u.key)).to.deep.equal(['old'])
    expect(abortedIds(s.mock)).to.deep.equal([])
  })

  it('keeps at most `concurrency` aborts in flight', async () => {
    s.mock.on(ListMultipartUploadsCommand).resolves({ Uploads: Array.from({ length: 10 }, (_, i) => upload(`k${i}`, at(0))) })
    let active = 0
    let peak = 0
    s.mock.on(AbortMultipartUploadCommand).callsFake(async () => {
      peak = Math.max(peak, ++active)
      await new Promise((resolve) => setImmediate(resolve))
      active--
      return {}
    })
    const { aborted } = await abortIncompleteUploads({ client: s.client, bucket: 'bkt', olderThan: HOUR, concurrency: 3 })
    expect(aborted).to.have.length(10)
    expect(peak).to.equal(3)
  })

  describe('listing failures', () => {
    it('reject with ERR_S3_LIST_UPLOADS, the AWS error as cause and what was done so far as partial', async () => {
      const cause = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' })
      s.mock.on(ListMultipartUploadsCommand)
        .resolvesOnce({ IsTruncated: true, NextKeyMarker: 'a', NextUploadIdMarker: 'id-a', Uploads: [upload('a', at(0))] })
        .rejectsOnce(cause)
      const err = await abortIncompleteUploads({ client: s.client, bucket: 'bkt', prefix: 'p/', olderThan: HOUR }).catch((e: unknown) => e)
      expect(err).to.be.instanceOf(ListUploadsError)
      expect(err).to.include({ code: 'ERR_S3_LIST_UPLOADS', bucket: 'bkt', prefix: 'p/', cause })
      expect((err as ListUploadsError).message).to.include('s3://bkt/p/').and.include('AccessDenied')
      expect((err as ListUploadsError).partial.aborted.map((u) => u.key)).to.deep.equal(['a'])
    })

    it('a truncated page without a next marker rejects instead of listing forever', async () => {
      s.mock.on(ListMultipartUploadsCommand).resolves({ IsTruncated: true, Uploads: [] })
      const err = await abortIncompleteUploads({ client: s.client, bucket: 'bkt', olderThan: HOUR }).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_S3_LIST_UPLOADS' })
      expect(s.mock.commandCalls(ListMultipartUploadsCommand)).to.have.length(1)
    })

    it('with connection fields it builds its own client (s3rver has no ListMultipartUploads: 501)', async () => {
      const s3 = await startS3rver()
      try {
        await s3.createBucket('real-bucket')
        const err = await abortIncompleteUploads({ ...s3.config, bucket: 'real-bucket', olderThan: HOUR, maxAttempts: 1 }).catch((e: unknown) => e)
        expect(err).to.include({ code: 'ERR_S3_LIST_UPLOADS', bucket: 'real-bucket' })
        expect((err as Error).cause).to.include({ name: 'NotImplemented' })
      } finally {
        await s3.close()
      }
    })
  })

  describe('options', () => {
    const bad: Array<[string, Record<string, unknown> | undefined]> = [
      ['options', undefined],
      ['options.bucket', { olderThan: HOUR }],
      ['options.bucket', { bucket: '', olderThan: HOUR }],
      ['options.bucket', { bucket: 'logs/prod', olderThan: HOUR }],
      ['options.bucketName', { bucket: 'a', bucketName: 'b', olderThan: HOUR }],
      ['options.type', { type: 'gcs', bucket: 'a', olderThan: HOUR }],
      ['options.olderThan', { bucket: 'a' }],
      ['options.olderThan', { bucket: 'a', olderThan: -1 }],
      ['options.olderThan', { bucket: 'a', olderThan: 1.5 }],
      ['options.olderThan', { bucket: 'a', olderThan: '1d' }],
      ['options.olderThan', { bucket: 'a', olderThan: new Date('not a date') }],
      ['options.olderThan', { bucket: 'a', olderThan: new Date(Date.now() + HOUR) }],
      ['options.concurrency', { bucket: 'a', olderThan: HOUR, concurrency: 0 }],
      ['options.dryRun', { bucket: 'a', olderThan: HOUR, dryRun: 'yes' }],
      ['options.prefix', { bucket: 'a', olderThan: HOUR, prefix: '/abs' }],
      ['options.olderThn', { bucket: 'a', olderThn: HOUR }],
      ['options.region', { bucket: 'a', olderThan: HOUR, client: new S3Client({ region: 'x' }), region: 'y' }],
      ['options.client', { bucket: 'a', olderThan: HOUR, client: {} }],
      ['options.secretAccessKey', { bucket: 'a', olderThan: HOUR, accessKeyId: 'AK' }]
    ]
    for (const [option, options] of bad) {
      it(`rejects ${option} in ${inspect(options, { depth: 0, breakLength: Infinity })}`, async () => {
        const err = await abortIncompleteUploads(options as unknown as AbortIncompleteUploadsOptions).catch((e: unknown) => e)
        expect(err).to.include({ code: 'ERR_INVALID_OPTION', option })
      })
    }

    it('accepts a whole sink config (sink-only fields ignored) and does not mutate it', async () => {
      s.mock.on(ListMultipartUploadsCommand).resolves({ Uploads: [] })
      const config: S3SinkConfig = Object.freeze({ type: 's3', bucketName: 'b', prefix: 'runs', apisToSend: ['x'], skipOnFail: true, batched: true, client: s.client })
      expect(await abortIncompleteUploads({ ...config, olderThan: HOUR })).to.deep.equal({ aborted: [], failed: [] })
      expect(s.mock.commandCalls(ListMultipartUploadsCommand)[0]!.args[0].input).to.include({ Bucket: 'b', Prefix: 'runs/' })
      expect(config.prefix).to.equal('runs')
    })
  })
})
