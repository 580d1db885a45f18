import { once } from 'node:events'
import { inspect } from 'node:util'
import { PassThrough } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand,
  PutObjectCommand, S3Client, UploadPartCommand
} from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { gzip, minuteWindow, s3Writable, type Batch, type ObjectWritten } from '../../lib/index.js'
import { manualClock } from '../helpers/manual-clock.js'
import { source, handBatch } from '../helpers/streams.js'

const T0 = Date.UTC(2026, 10, 25, 14, 3, 7)
const MiB = 1024 * 1024
const KEY_RE = /^runs\/2026\/11\/25\/14\/2026-11-25-14-03-07-[0-9a-f]{64}\.gz$/

function fakeClient (): { client: S3Client, mock: ReturnType<typeof mockClient> } {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } })
  const mock = mockClient(client)
  mock.on(PutObjectCommand).resolves({ ETag: '"put-etag"' })
  mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' })
  mock.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({ ETag: `"part-${input.PartNumber}"` }))
  mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"complete-etag"' })
  mock.on(AbortMultipartUploadCommand).resolves({})
  return { client, mock }
}

/** A batch whose body is `bytes` long, made by hand. */
function batchOf (bytes: number, fields: Partial<Batch> = {}): Batch {
  const body = new PassThrough()
  body.end(Buffer.alloc(bytes, 0x61))
  return handBatch(body, { stats: { records: 3, bytes }, ...fields })
}

describe('s3Writable()', () => {
  describe('commands sent (aws-sdk-client-mock)', () => {
    it('uploads a small batch as one PutObject with its key, type and encoding', async () => {
      const { client, mock } = fakeClient()
      const sink = s3Writable({ bucket: 'logs', client, prefix: 'runs' })
      const written: ObjectWritten[] = []
      sink.on('object', (o: ObjectWritten) => written.push(o))
      await pipeline(source([{ a: 1 }, { a: 2 }]), minuteWindow({ clock: manualClock(T0) }), gzip(), sink)
      const puts = mock.commandCalls(PutObjectCommand)
      expect(puts).to.have.length(1)
      const input = puts[0]!.args[0].input
      expect(input).to.include({ Bucket: 'logs', ContentType: 'application/x-ndjson', ContentEncoding: 'gzip' })
      expect(input.Key).to.match(KEY_RE)
      expect(mock.commandCalls(CreateMultipartUploadCommand)).to.have.length(0)
      expect(written).to.have.length(1)
      expect(written[0]).to.include({ bucket: 'logs', key: input.Key, etag: '"put-etag"', records: 2 })
      expect(written[0]!.bytes).to.equal((input.Body as Buffer).length)
    })

    it('uses the multipart API above partSize, parts in order, with the extra params', async () => {
      const { client, mock } = fakeClient()
      const sink = s3Writable({ bucketName: 'logs', client, params: { StorageClass: 'STANDARD_IA' } })
      await pipeline(source([batchOf(12 * MiB, { key: 'fixed/key.ndjson' })]), sink)
      const create = mock.commandCalls(CreateMultipartUploadCommand)[0]!.args[0].input
      expect(create).to.include({ Bucket: 'logs', Key: 'fixed/key.ndjson', StorageClass: 'STANDARD_IA', ContentType: 'application/x-ndjson' })
      const parts = mock.commandCalls(UploadPartCommand).map((c) => c.args[0].input)
      expect(parts.map((p) => p.PartNumber).sort()).to.deep.equal([1, 2, 3])
      expect(parts.map((p) => (p.Body as Buffer).length).sort((a, b) => a - b)).to.deep.equal([2 * MiB, 5 * MiB, 5 * MiB])
      const complete = mock.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input
      expect(complete.UploadId).to.equal('upload-1')
      expect(complete.MultipartUpload?.Parts?.map((p) => p.PartNumber)).to.deep.equal([1, 2, 3])
      expect(mock.commandCalls(AbortMultipartUploadCommand)).to.have.length(0)
    })

    it("never destroys a caller's client", async () => {
      const { client } = fakeClient()
      let destroyed = 0
      const destroy = client.destroy.bind(client)
      client.destroy = () => { destroyed++; destroy() }
      const sink = s3Writable({ bucket: 'logs', client })
      await pipeline(source([batchOf(10)]), sink)
      await new Promise((resolve) => setImmediate(resolve))
      expect(sink.destroyed).to.equal(true)
      expect(destroyed).to.equal(0)
    })

    it('resolves pipeline() only once every upload has completed', async () => {
      const { client, mock } = fakeClient()
      let release!: () => void
      const gate = new Promise<void>((resolve) => { release = resolve })
      mock.on(PutObjectCommand).callsFake(async () => { await gate; return { ETag: '"late"' } })
      let resolved = false
      const done = pipeline(source([batchOf(10), batchOf(10)]), s3Writable({ bucket: 'logs', client })).then(() => { resolved = true })
      await new Promise((resolve) => setTimeout(resolve, 20))
      expect(resolved).to.equal(false)
      release()
      await done
      expect(mock.commandCalls(PutObjectCommand)).to.have.length(2)
    })
  })

  describe('failures', () => {
    it('aborts a failed multipart upload and rejects with the original error, once', async () => {
      const { client, mock } = fakeClient()
      const cause = Object.assign(new Error('We encountered an internal error'), { name: 'InternalError' })
      mock.on(UploadPartCommand, { PartNumber: 2 }).rejects(cause)
      // retryFor 0: no retries by the sink, so the transient error fails the part at once.
      const sink = s3Writable({ bucket: 'logs', client, retryFor: 0 })
      const errors: Error[] = []
      sink.on('error', (e) => errors.push(e))
      const err = await pipeline(source([batchOf(12 * MiB, { key: 'k.ndjson' })]), sink).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_S3_UPLOAD', bucket: 'logs', key: 'k.ndjson', cause })
      expect((err as Error).message).to.include('s3://logs/k.ndjson').and.include('InternalError')
      const aborts = mock.commandCalls(AbortMultipartUploadCommand)
      expect(aborts).to.have.length(1)
      expect(aborts[0]!.args[0].input).to.deep.equal({ Bucket: 'logs', Key: 'k.ndjson', UploadId: 'upload-1' })
      expect(mock.commandCalls(CompleteMultipartUploadCommand)).to.have.length(0)
      expect(errors).to.have.length(1)
    })

    it('keeps the original error when AbortMultipartUpload fails too', async () => {
      const { client, mock } = fakeClient()
      const cause = Object.assign(new Error('slow down'), { name: 'SlowDown' })
      const abortFailure = Object.assign(new Error('Method Not Allowed'), { name: 'MethodNotAllowed' })
      mock.on(UploadPartCommand, { PartNumber: 1 }).rejects(cause)
      mock.on(AbortMultipartUploadCommand).rejects(abortFailure)
      const err = await pipeline(source([batchOf(11 * MiB, { key: 'k' })]), s3Writable({ bucket: 'logs', client, retryFor: 0 })).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_S3_UPLOAD', cause, abortError: abortFailure })
    })

    it('fails a single PutObject with the key and AWS error, nothing to abort', async () => {
      const { client, mock } = fakeClient()
      const cause = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' })
      mock.on(PutObjectCommand).rejects(cause)
      const err = await pipeline(source([batchOf(100, { key: 'small' })]), s3Writable({ bucket: 'logs', client })).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_S3_UPLOAD', key: 'small', cause })
      expect(mock.commandCalls(AbortMultipartUploadCommand)).to.have.length(0)
    })

    it('rejects anything that is not a batch with ERR_INVALID_BATCH', async () => {
      const { client } = fakeClient()
      const err = await pipeline(source([{ apiInfo: {} }]), s3Writable({ bucket: 'logs', client })).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_INVALID_BATCH' })
    })

    it('on destroy mid-upload: aborts the multipart upload in flight and reports the error once', async () => {
      const { client, mock } = fakeClient()
      let partsStarted = 0
      mock.on(UploadPartCommand).callsFake(async (input: { PartNumber: number }) => {
        partsStarted++
        await new Promise((resolve) => setTimeout(resolve, 30))
        return { ETag: `"p${input.PartNumber}"` }
      })
      const sink = s3Writable({ bucket: 'logs', client, abortTimeout: 1000 })
      const errors: Error[] = []
      sink.on('error', (e) => errors.push(e))
      const body = new PassThrough()
      sink.write(batchOf(0, { body, key: 'live' }))
      body.write(Buffer.alloc(6 * MiB)) // one full part, the body stays open
      while (partsStarted === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      const boom = new Error('upstream died')
      sink.destroy(boom)
      await new Promise((resolve) => sink.once('close', resolve))
      expect(errors).to.deep.equal([boom])
      expect(body.destroyed).to.equal(true)
      expect(mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input.UploadId)).to.deep.equal(['upload-1'])
      expect(mock.commandCalls(CompleteMultipartUploadCommand)).to.have.length(0)
    })

    it('abandons a hanging part after abortTimeout and still aborts', async () => {
      const { client, mock } = fakeClient()
      let partsStarted = 0
      mock.on(UploadPartCommand).callsFake(() => { partsStarted++; return new Promise(() => {}) })
      const sink = s3Writable({ bucket: 'logs', client, abortTimeout: 50 })
      sink.on('error', () => {})
      const body = new PassThrough()
      sink.write(batchOf(0, { body, key: 'hang' }))
      body.write(Buffer.alloc(6 * MiB))
      // The part must be hanging before the destroy, however slow the machine.
      while (partsStarted === 0) await new Promise((resolve) => setTimeout(resolve, 5))
      sink.destroy(new Error('stop'))
      await new Promise((resolve) => sink.once('close', resolve))
      expect(mock.commandCalls(AbortMultipartUploadCommand)).to.have.length(1)
    })
  })

  describe('backpressure', () => {
    it('keeps at most `concurrency` objects uploading; write() waits for a free slot', async () => {
      const { client, mock } = fakeClient()
      let active = 0
      let peak = 0
      mock.on(PutObjectCommand).callsFake(async () => {
        active++
        peak = Math.max(peak, active)
        await new Promise((resolve) => setTimeout(resolve, 15))
        active--
        return { ETag: '"e"' }
      })
      const sink = s3Writable({ bucket: 'logs', client, concurrency: 2 })
      let refused = 0
      for (let i = 0; i < 8; i++) {
        if (!sink.write(batchOf(10, { key: `k${i}` }))) {
          refused++
          await once(sink, 'drain')
        }
      }
      sink.end()
      await once(sink, 'finish')
      expect(refused).to.be.greaterThan(0)
      expect(peak).to.equal(2)
      expect(mock.commandCalls(PutObjectCommand)).to.have.length(8)
    })
  })

  describe('batches a window still writes', () => {
    it('minuteWindow dead-letter into concurrency 1: the main and dead-letter batches of one window never wait for each other', async () => {
      const { client, mock } = fakeClient()
      // An hour-long window on the real clock: a stall would last until its timer.
      const window = minuteWindow({ windowMs: 3_600_000, onInvalid: 'dead-letter', chunkSize: 4096 })
      const records = Array.from({ length: 20_000 }, (_, i) => (i % 5 === 0 ? { i, bad: BigInt(i) } : { i, pad: 'x'.repeat(40) }))
      const sink = s3Writable({ bucket: 'logs', client, concurrency: 1 })
      const objects: ObjectWritten[] = []
      sink.on('object', (o: ObjectWritten) => objects.push(o))
      const stalled = new AbortController()
      const timer = setTimeout(() => { stalled.abort(new Error('stalled until the window timer')) }, 10_000)
      try {
        await pipeline(source(records), window, sink, { signal: stalled.signal })
      } finally {
        clearTimeout(timer)
      }
      expect(objects.map((o) => o.records).sort((a, b) => a - b)).to.deep.equal([4000, 16000])
      expect(mock.commandCalls(AbortMultipartUploadCommand)).to.have.length(0)
    })

    it('still holds a third batch while one finished batch uploads at concurrency 1', async () => {
      const { client, mock } = fakeClient()
      let active = 0
      let peak = 0
      mock.on(PutObjectCommand).callsFake(async () => {
        active++
        peak = Math.max(peak, active)
        await new Promise((resolve) => setTimeout(resolve, 10))
        active--
        return { ETag: '"e"' }
      })
      await pipeline(source(Array.from({ length: 50 }, (_, i) => ({ i }))), minuteWindow({ maxRecords: 5 }), s3Writable({ bucket: 'logs', client, concurrency: 1 }))
      expect(mock.commandCalls(PutObjectCommand)).to.have.length(10)
      expect(peak).to.be.at.most(2)
    })
  })

  describe('options', () => {
    const bad: Array<[string, Record<string, unknown>]> = [
      ['options.bucket', {}],
      ['options.bucket', { bucket: '' }],
      ['options.bucket', { bucket: 7 }],
      ['options.bucketName', { bucket: 'a', bucketName: 'b' }],
      ['options.type', { bucket: 'a', type: 'gcs' }],
      ['options.partSize', { bucket: 'a', partSize: 1024 }],
      ['options.queueSize', { bucket: 'a', queueSize: 0 }],
      ['options.concurrency', { bucket: 'a', concurrency: 1.5 }],
      ['options.abortTimeout', { bucket: 'a', abortTimeout: -1 }],
      ['options.prefix', { bucket: 'a', prefix: '/abs' }],
      ['options.prefix', { bucket: 'a', prefix: 'a/../b' }],
      ['options.skipOnFailure', { bucket: 'a', skipOnFailure: true }],
      ['options.secretAccessKey', { bucket: 'a', accessKeyId: 'AK' }],
      ['options.accessKeyId', { bucket: 'a', secretAccessKey: 'SK' }],
      ['options.endpoint', { bucket: 'a', endpoint: 'minio:9000' }],
      ['options.forcePathStyle', { bucket: 'a', forcePathStyle: 'yes' }],
      ['options.region', { bucket: 'a', client: new S3Client({ region: 'x' }), region: 'y' }],
      ['options.client', { bucket: 'a', client: {} }],
      ['options.params.Key', { bucket: 'a', params: { Key: 'k' } }]
    ]
    for (const [option, options] of bad) {
      it(`rejects ${option} in ${inspect(options, { depth: 0, breakLength: Infinity })}`, () => {
        expect(() => s3Writable(options)).to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option })
      })
    }

    it('accepts the whole Intuned sink config, filter fields included, and does not mutate it', () => {
      const config = Object.freeze({ type: 's3' as const, bucket: 'b', skipOnFail: true, apisToSend: ['search'], region: 'us-west-2', accessKeyId: 'AK', secretAccessKey: 'SK', prefix: 'p/', endpoint: 'https://s3.example.com', forcePathStyle: true })
      const sink = s3Writable(config)
      expect(config.prefix).to.equal('p/')
      sink.destroy()
    })

    it('never shows the secret or session token in util.inspect or errors', () => {
      const secretAccessKey = 'SECRET-wJalrXUtnFEMI-K7MDENG'
      const sessionToken = 'TOKEN-FwoGZXIvYXdzEJr'
      const sink = s3Writable({ bucket: 'b', region: 'us-west-2', accessKeyId: 'AK', secretAccessKey, sessionToken })
      for (const text of [inspect(sink, { depth: Infinity, showHidden: true }), inspect(sink, { depth: 4 })]) {
        expect(text).not.to.include(secretAccessKey)
        expect(text).not.to.include(sessionToken)
      }
      sink.destroy()
      const err = (() => { try { s3Writable({ bucket: 'b', secretAccessKey }) } catch (e) { return e as Error } })()
      expect(inspect(err)).not.to.include(secretAccessKey)
    })
  })
})
