import { pipeline } from 'node:stream/promises'
import { PassThrough } from 'node:stream'
import { expect } from 'chai'
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, HeadObjectCommand, PutObjectCommand,
  S3Client, UploadPartCommand
} from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { gzip, minuteWindow, onDurable, s3Writable } from '../../lib/index.js'
import { createS3Sink } from '../../lib/sinks/create-s3-sink.js'
import { multipartEtag } from '../../lib/internal/stored-object.js'
import { fastClock } from '../helpers/fast-clock.js'
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js'
import { manualClock } from '../helpers/manual-clock.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { handBatch, run, source } from '../helpers/streams.js'

const MiB = 1024 * 1024

/** An S3 error as the SDK raises it. */
function awsError (name: string, status: number): Error {
  return Object.assign(new Error(name), { name, $metadata: { httpStatusCode: status }, $fault: status >= 500 ? 'server' : 'client' })
}

function fakeClient (): { client: S3Client, mock: ReturnType<typeof mockClient> } {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } })
  const mock = mockClient(client)
  mock.on(PutObjectCommand).resolves({ ETag: '"put"' })
  mock.on(CreateMultipartUploadCommand).resolves({ UploadId: 'upload-1' })
  mock.on(UploadPartCommand).callsFake((input: { PartNumber: number }) => ({ ETag: `"part-${input.PartNumber}"` }))
  mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"done"' })
  mock.on(AbortMultipartUploadCommand).resolves({})
  return { client, mock }
}

/** `n` records, each acknowledging into `acked`. */
function acked (n: number, acks: number[]): Array<Record<string | symbol, unknown>> {
  return Array.from({ length: n }, (_, i) => ({ i, [onDurable]: () => { acks.push(i) } }))
}

describe('reliability: conditional writes (ifNoneMatch)', function () {
  this.timeout(20_000)

  describe('request headers and outcomes (aws-sdk-client-mock)', () => {
    it('sends IfNoneMatch "*" on PutObject only when asked', async () => {
      for (const ifNoneMatch of [true, false]) {
        const { client, mock } = fakeClient()
        await pipeline(source([{ a: 1 }]), minuteWindow({ clock: manualClock() }), gzip(), s3Writable({ bucket: 'b', client, ifNoneMatch }))
        expect(mock.commandCalls(PutObjectCommand)[0]!.args[0].input.IfNoneMatch).to.equal(ifNoneMatch ? '*' : undefined)
      }
    })

    it('sends IfNoneMatch "*" on CompleteMultipartUpload of a multipart object', async () => {
      const { client, mock } = fakeClient()
      const body = new PassThrough()
      body.end(Buffer.alloc(11 * MiB, 0x61))
      await pipeline(source([handBatch(body, { key: 'big' })]), s3Writable({ bucket: 'b', client, ifNoneMatch: true }))
      expect(mock.commandCalls(CompleteMultipartUploadCommand)[0]!.args[0].input.IfNoneMatch).to.equal('*')
    })

    it('412 PreconditionFailed on PutObject: the object is already there, the upload counts as stored and the acks fire', async () => {
      const { client, mock } = fakeClient()
      mock.on(PutObjectCommand).rejects(awsError('PreconditionFailed', 412))
      const acks: number[] = []
      const sink = s3Writable({ bucket: 'b', client, ifNoneMatch: true })
      const objects: unknown[] = []
      sink.on('object', (o: unknown) => objects.push(o))
      await pipeline(source(acked(3, acks)), minuteWindow({ clock: manualClock() }), gzip(), sink)
      expect(mock.commandCalls(PutObjectCommand)).to.have.length(1)
      expect(objects).to.have.length(1)
      expect(acks).to.deep.equal([0, 1, 2])
    })

    it('412 on CompleteMultipartUpload: stored already; its parts are aborted; no retry', async () => {
      const { client, mock } = fakeClient()
      mock.on(CompleteMultipartUploadCommand).rejects(awsError('PreconditionFailed', 412))
      const body = new PassThrough()
      body.end(Buffer.alloc(11 * MiB, 0x61))
      await pipeline(source([handBatch(body, { key: 'big' })]), s3Writable({ bucket: 'b', client, ifNoneMatch: true }))
      expect(mock.commandCalls(CompleteMultipartUploadCommand)).to.have.length(1)
      expect(mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)).to.deep.equal([{ Bucket: 'b', Key: 'big', UploadId: 'upload-1' }])
    })

    it('412 without ifNoneMatch is a permanent failure, as before', async () => {
      const { client, mock } = fakeClient()
      mock.on(PutObjectCommand).rejects(awsError('PreconditionFailed', 412))
      const err = await pipeline(source([{ a: 1 }]), minuteWindow({ clock: manualClock() }), s3Writable({ bucket: 'b', client })).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_S3_UPLOAD' })
      expect(mock.commandCalls(PutObjectCommand)).to.have.length(1)
    })

    it('409 ConditionalRequestConflict is retried until the write goes through', async () => {
      const { client, mock } = fakeClient()
      mock.on(PutObjectCommand).rejectsOnce(awsError('ConditionalRequestConflict', 409)).rejectsOnce(awsError('ConditionalRequestConflict', 409)).resolves({ ETag: '"x"' })
      const retries: unknown[] = []
      const sink = s3Writable({ bucket: 'b', client, ifNoneMatch: true, clock: fastClock() })
      sink.on('retry', (r: unknown) => retries.push(r))
      await pipeline(source([{ a: 1 }]), minuteWindow({ clock: manualClock() }), sink)
      expect(mock.commandCalls(PutObjectCommand)).to.have.length(3)
      expect(retries).to.have.length(2)
    })

    it('per-Run sink: ifNoneMatch sends the header, and a 412 counts as stored', async () => {
      const { client, mock } = fakeClient()
      mock.on(PutObjectCommand).rejects(awsError('PreconditionFailed', 412))
      const acks: number[] = []
      const runs = [0, 1].map((i) => ({ ...run(i), [onDurable]: () => { acks.push(i) } }))
      await pipeline(source(runs), createS3Sink({ type: 's3', bucket: 'b', client, ifNoneMatch: true }))
      expect(mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input.IfNoneMatch)).to.deep.equal(['*', '*'])
      expect(acks.sort()).to.deep.equal([0, 1])
    })

    it('rejects IfNoneMatch in params: the option says it', () => {
      expect(() => s3Writable({ bucket: 'b', params: { IfNoneMatch: '*' } as never })).to.throw().with.property('option', 'options.params.IfNoneMatch')
      expect(() => s3Writable({ bucket: 'b', ifNoneMatch: 'yes' as never })).to.throw().with.property('option', 'options.ifNoneMatch')
    })
  })

  describe('replay on s3rver (which ignores the header): the same keys again, no new objects', () => {
    let s3: LocalS3
    before(async () => {
      s3 = await startS3rver()
      await s3.createBucket('replay')
    })
    after(async () => { await s3.close() })

    it('delivering the same Runs twice with ifNoneMatch leaves one object per Run, content unchanged', async () => {
      const runs = Array.from({ length: 20 }, (_, i) => run(i))
      for (let pass = 0; pass < 2; pass++) {
        const acks: number[] = []
        const withAcks = runs.map((r, i) => ({ ...r, [onDurable]: () => { acks.push(i) } }))
        await pipeline(source(withAcks), createS3Sink({ type: 's3', bucket: 'replay', ...s3.config, ifNoneMatch: true }))
        expect(acks).to.have.length(20)
      }
      const keys = await s3.listKeys('replay')
      expect(keys).to.have.length(20)
      expect((await s3.getObject('replay', keys[0]!)).body.toString()).to.equal(JSON.stringify(runs.find((r) => keys[0]!.endsWith(`/${(r.apiInfo as { runId: string }).runId}.json`))))
    })
  })

  describe('replay through a store that honours If-None-Match (s3rver behind the fault proxy, which answers as S3 does)', () => {
    let s3: LocalS3
    let proxy: FaultProxy
    before(async () => {
      s3 = await startS3rver()
      await s3.createBucket('honoured')
      proxy = await startFaultProxy({ target: s3.endpoint, conditionalWrites: true })
    })
    after(async () => {
      await proxy.close()
      await s3.close()
    })

    it('per-Run: a replay stores nothing new, leaves every object as it was, and acknowledges every Run', async () => {
      const pass = async (n: number): Promise<number[]> => {
        const acks: number[] = []
        const runs = Array.from({ length: 20 }, (_, i) => ({ ...run(i), pass: n, [onDurable]: () => { acks.push(i) } }))
        await pipeline(source(runs), createS3Sink({ type: 's3', bucket: 'honoured', ...s3.config, endpoint: proxy.endpoint, prefix: 'runs', ifNoneMatch: true }))
        return acks
      }
      expect(await pass(1)).to.have.length(20)
      expect(await pass(2)).to.have.length(20)
      expect(proxy.preconditionFailed).to.equal(20)
      const keys = await s3.listKeys('honoured', 'runs/')
      expect(keys).to.have.length(20)
      for (const key of keys) expect(JSON.parse((await s3.getObject('honoured', key)).body.toString())).to.include({ pass: 1 })
    })

    it('multipart: the replayed CompleteMultipartUpload gets 412, the upload counts as stored, the object is unchanged', async () => {
      const upload = async (fill: number): Promise<unknown[]> => {
        const body = new PassThrough()
        body.end(Buffer.alloc(11 * MiB, fill))
        const sink = s3Writable({ ...s3.config, endpoint: proxy.endpoint, bucket: 'honoured', ifNoneMatch: true })
        const objects: unknown[] = []
        sink.on('object', (o: unknown) => objects.push(o))
        await pipeline(source([handBatch(body, { key: 'big.bin' })]), sink)
        return objects
      }
      expect(await upload(0x61)).to.have.length(1)
      const before = proxy.preconditionFailed
      expect(await upload(0x62)).to.have.length(1)
      expect(proxy.preconditionFailed).to.equal(before + 1)
      const stored = (await s3.getObject('honoured', 'big.bin')).body
      expect([stored.length, stored[0], stored.at(-1)]).to.deep.equal([11 * MiB, 0x61, 0x61])
    })
  })

  describe('a CompleteMultipartUpload that failed after an ambiguous attempt (aws-sdk-client-mock)', () => {
    const big = (): ReturnType<typeof handBatch> => {
      const body = new PassThrough()
      body.end(Buffer.alloc(11 * MiB, 0x61))
      return handBatch(body, { key: 'big' })
    }
    const parts = new Map([[1, '"part-1"'], [2, '"part-2"'], [3, '"part-3"']])

    it('HeadObject finds this very object (size and multipart ETag): success after one look', async () => {
      const { client, mock } = fakeClient()
      mock.on(CompleteMultipartUploadCommand).rejectsOnce(awsError('InternalError', 500)).rejects(awsError('NoSuchUpload', 404))
      mock.on(HeadObjectCommand).resolves({ ContentLength: 11 * MiB, ETag: `"${multipartEtag(parts)!}"` })
      const sink = s3Writable({ bucket: 'b', client, clock: fastClock() })
      const objects: Array<{ etag: string }> = []
      sink.on('object', (o: { etag: string }) => objects.push(o))
      await pipeline(source([big()]), sink)
      expect(mock.commandCalls(CompleteMultipartUploadCommand)).to.have.length(2)
      expect(mock.commandCalls(HeadObjectCommand)).to.have.length(1)
      expect(objects.map((o) => o.etag)).to.deep.equal([`"${multipartEtag(parts)!}"`])
    })

    it('an object of another size or ETag is not ours: retries go on, then the upload fails', async () => {
      for (const head of [{ ContentLength: 1, ETag: `"${multipartEtag(parts)!}"` }, { ContentLength: 11 * MiB, ETag: '"someone-else"' }]) {
        const { client, mock } = fakeClient()
        mock.on(CompleteMultipartUploadCommand).rejectsOnce(awsError('InternalError', 500)).rejects(awsError('NoSuchUpload', 404))
        mock.on(HeadObjectCommand).resolves(head)
        const err = await pipeline(source([big()]), s3Writable({ bucket: 'b', client, clock: fastClock() })).catch((e: unknown) => e)
        expect(err).to.include({ code: 'ERR_S3_UPLOAD', key: 'big' })
        expect((err as Error).cause).to.include({ name: 'NoSuchUpload' })
      }
    })
  })
})
