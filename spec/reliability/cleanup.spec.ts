import { randomBytes } from 'node:crypto'
import { PassThrough } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand,
  PutObjectCommand, S3Client, UploadPartCommand
} from '@aws-sdk/client-s3'
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock'
import { filterApis, gzip, minuteWindow, s3Writable, type Batch } from '../../lib/index.js'
import { manualClock } from '../helpers/manual-clock.js'
import { source } from '../helpers/streams.js'

const MiB = 1024 * 1024

interface Fake { client: S3Client, mock: AwsClientStub<S3Client>, partsStarted: () => Promise<void> }

/** A mocked S3 whose uploads succeed; every CreateMultipartUpload gets its own UploadId. */
function fakeS3 (): Fake {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } })
  const mock = mockClient(client)
  let uploads = 0
  let started!: () => void
  const firstPart = new Promise<void>((resolve) => { started = resolve })
  mock.on(PutObjectCommand).resolves({ ETag: '"put"' })
  // Fakes return promises: the upload chains .then() on send()'s result.
  mock.on(CreateMultipartUploadCommand).callsFake(async (input: { Key: string }) => ({ UploadId: `upload-${++uploads}-${input.Key}` }))
  mock.on(UploadPartCommand).callsFake(async (input: { PartNumber: number }) => { started(); return { ETag: `"part-${input.PartNumber}"` } })
  mock.on(CompleteMultipartUploadCommand).resolves({ ETag: '"complete"' })
  mock.on(AbortMultipartUploadCommand).resolves({})
  return { client, mock, partsStarted: async () => { await firstPart } }
}

/**
 * Run records whose payload barely compresses, so their gzip object needs
 * more than one 5 MiB part.
 */
function bulkyRuns (n: number): Array<Record<string, unknown>> {
  return Array.from({ length: n }, (_, i) => ({ apiInfo: { name: 'search', runId: `run-${i}`, result: { status: 'completed', blob: randomBytes(4096).toString('base64') } } }))
}

function abortsOf (mock: AwsClientStub<S3Client>): unknown[] {
  return mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input)
}

/** A batch whose body is fed by hand. */
function openBatch (key: string): { batch: Batch, body: PassThrough } {
  const body = new PassThrough()
  return { body, batch: { kind: 'batch', body, windowStart: 0, windowEnd: 60_000, openedAt: 0, seq: 0, key, contentType: 'application/x-ndjson', stats: { records: 1, bytes: 0 } } }
}

describe('reliability: cleanup after failure (aws-sdk-client-mock)', function () {
  this.timeout(20_000)
  let fake: Fake
  beforeEach(() => { fake = fakeS3() })
  // sinon keeps every command input, part buffers included.
  afterEach(() => { fake.mock.reset(); fake.client.destroy() })

  /**
   * filterApis → minuteWindow → gzip → s3Writable over the mocked client.
   * Resolves once the sink has closed: on Node 20, when the failure starts
   * upstream, pipeline() settles before the sink has finished aborting
   * (nodejs/node#51540), so the abort is only certain after 'close'.
   */
  async function deliver (records: AsyncIterable<unknown> | Iterable<unknown>, options: { abortTimeout?: number } = {}): Promise<{ err: unknown, errors: Error[] }> {
    const sink = s3Writable({ bucket: 'logs', client: fake.client, prefix: 'runs', ...options })
    const errors: Error[] = []
    sink.on('error', (e) => errors.push(e))
    const closed = new Promise((resolve) => sink.once('close', resolve))
    const err = await pipeline(source(records), filterApis(), minuteWindow({ clock: manualClock() }), gzip({ level: 1 }), sink).catch((e: unknown) => e)
    await closed
    return { err, errors }
  }

  it('UploadPart #2 rejects: the upload is aborted with its UploadId, and pipeline() rejects with that error, once', async () => {
    // A permanent error: a transient one would be retried until retryFor.
    const cause = Object.assign(new Error('Invalid part'), { name: 'InvalidPart' })
    fake.mock.on(UploadPartCommand, { PartNumber: 2 }).rejects(cause)
    const { err, errors } = await deliver(bulkyRuns(1800))
    expect(err).to.include({ code: 'ERR_S3_UPLOAD', bucket: 'logs', cause })
    expect((err as { abortError?: unknown }).abortError).to.equal(undefined)
    const key = (err as { key: string }).key
    expect(key).to.match(/^runs\/.+\.gz$/)
    expect(abortsOf(fake.mock)).to.deep.equal([{ Bucket: 'logs', Key: key, UploadId: `upload-1-${key}` }])
    expect(fake.mock.commandCalls(CompleteMultipartUploadCommand)).to.have.length(0)
    expect(errors).to.deep.equal([err])
  })

  it('AbortMultipartUpload fails too: pipeline() still rejects with the original error, the abort failure is err.abortError', async () => {
    const cause = Object.assign(new Error('Access Denied'), { name: 'AccessDenied' })
    const abortFailure = Object.assign(new Error('Service Unavailable'), { name: 'ServiceUnavailable' })
    fake.mock.on(UploadPartCommand, { PartNumber: 2 }).rejects(cause)
    fake.mock.on(AbortMultipartUploadCommand).rejects(abortFailure)
    const { err, errors } = await deliver(bulkyRuns(1800))
    expect(err).to.include({ code: 'ERR_S3_UPLOAD', cause, abortError: abortFailure })
    expect(abortsOf(fake.mock)).to.have.length(1)
    expect(errors).to.have.length(1)
  })

  it('the source fails mid-upload: the multipart upload in flight is aborted and pipeline() rejects with the source error', async () => {
    const boom = new Error('source died')
    const partsStarted = fake.partsStarted
    async function * failing (): AsyncGenerator<unknown> {
      yield * bulkyRuns(1800)
      await partsStarted()
      throw boom
    }
    const { err } = await deliver(failing())
    expect(err).to.equal(boom)
    const aborts = abortsOf(fake.mock) as Array<{ UploadId: string }>
    expect(aborts).to.have.length(1)
    expect(aborts[0]!.UploadId).to.match(/^upload-1-runs\//)
    expect(fake.mock.commandCalls(CompleteMultipartUploadCommand)).to.have.length(0)
  })

  it('a hanging UploadPart is abandoned after abortTimeout and the upload aborted: pipeline() rejects instead of hanging', async () => {
    let hanging!: () => void
    const partStarted = new Promise<void>((resolve) => { hanging = resolve })
    fake.mock.on(UploadPartCommand).callsFake(async () => { hanging(); return await new Promise(() => {}) })
    const boom = new Error('source died')
    async function * failing (): AsyncGenerator<unknown> {
      yield * bulkyRuns(1800)
      await partStarted
      throw boom
    }
    const { err } = await deliver(failing(), { abortTimeout: 50 })
    expect(err).to.equal(boom)
    expect(abortsOf(fake.mock)).to.have.length(1)
    expect(fake.mock.commandCalls(CompleteMultipartUploadCommand)).to.have.length(0)
  })

  it('one object fails: the other object uploading at the same time is aborted too, never completed', async () => {
    const cause = Object.assign(new Error('denied'), { name: 'AccessDenied' })
    fake.mock.on(UploadPartCommand, { Key: 'b' }).rejects(cause)
    const sink = s3Writable({ bucket: 'logs', client: fake.client, concurrency: 2, abortTimeout: 1000 })
    const a = openBatch('a')
    const b = openBatch('b')
    const done = pipeline(source([a.batch, b.batch]), sink).catch((e: unknown) => e)
    a.body.write(Buffer.alloc(6 * MiB)) // a's first part goes up; a stays open
    b.body.end(Buffer.alloc(6 * MiB))
    const err = await done
    expect(err).to.include({ code: 'ERR_S3_UPLOAD', key: 'b', cause })
    expect(a.body.destroyed).to.equal(true)
    expect((abortsOf(fake.mock) as Array<{ Key: string }>).map((x) => x.Key).sort()).to.deep.equal(['a', 'b'])
    expect(fake.mock.commandCalls(CompleteMultipartUploadCommand)).to.have.length(0)
  })

  it('destroy() without an error mid-upload: the upload is aborted, close is emitted, no error', async () => {
    const sink = s3Writable({ bucket: 'logs', client: fake.client, abortTimeout: 1000 })
    const errors: Error[] = []
    sink.on('error', (e) => errors.push(e))
    const a = openBatch('a')
    sink.write(a.batch)
    a.body.write(Buffer.alloc(6 * MiB))
    await fake.partsStarted()
    sink.destroy()
    await new Promise((resolve) => sink.once('close', resolve))
    expect(errors).to.deep.equal([])
    expect(a.body.destroyed).to.equal(true)
    expect(abortsOf(fake.mock)).to.deep.equal([{ Bucket: 'logs', Key: 'a', UploadId: 'upload-1-a' }])
    expect(fake.mock.commandCalls(CompleteMultipartUploadCommand)).to.have.length(0)
  })
})
