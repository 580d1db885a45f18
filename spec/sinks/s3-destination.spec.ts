import { execFile } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { inspect } from 'node:util'
import { gunzipSync } from 'node:zlib'
import { expect } from 'chai'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { createS3Destination } from '../../lib/sinks/create-s3-destination.js'
import type { S3Destination } from '../../lib/sinks/s3-destination.js'
import type { ObjectWritten } from '../../lib/sinks/object-written.js'
import { manualClock } from '../helpers/manual-clock.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'

const MINUTE = 60_000
// The manual clock starts at 2026-11-25T14:03:07Z: the first batch opens then.
const KEY = /^one\/2026\/11\/25\/14\/2026-11-25-14-03-07-[0-9a-f]{64}\.gz$/

function ndjson (payloads: unknown[]): string {
  return payloads.map((p) => JSON.stringify(p) + '\n').join('')
}

/** Expects `fn` to throw an error with `code` (and `option`, when given). */
function expectThrow (fn: () => unknown, code: string, option?: string): Error {
  let caught: unknown
  try { fn() } catch (err) { caught = err }
  expect(caught, 'expected a throw').to.be.instanceOf(Error)
  expect((caught as { code?: string }).code).to.equal(code)
  if (option !== undefined) expect((caught as { option?: string }).option).to.equal(option)
  return caught as Error
}

/** A mocked S3 client whose PutObject calls wait until `release()`. */
function gatedClient (): { client: S3Client, release: () => void, calls: () => number } {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
  let open!: () => void
  const gate = new Promise<void>((resolve) => { open = resolve })
  const mock = mockClient(client)
  mock.on(PutObjectCommand).callsFake(async () => { await gate; return { ETag: '"etag"' } })
  return { client, release: () => { open() }, calls: () => mock.commandCalls(PutObjectCommand).length }
}

function errorCounter (destination: S3Destination): Error[] {
  const errors: Error[] = []
  destination.on('error', (err: Error) => errors.push(err))
  return errors
}

describe('createS3Destination()', function () {
  describe('delivery into s3rver', function () {
    let s3: LocalS3
    before(async function () {
      s3 = await startS3rver()
      await s3.createBucket('dest-one')
      await s3.createBucket('dest-two')
    })
    after(async function () { await s3.close() })

    it('puts the events of one minute into one gzip NDJSON object, exactly and in order, once the minute ends', async function () {
      const clock = manualClock()
      const destination = createS3Destination({ ...s3.config, bucket: 'dest-one', prefix: 'one/', clock })
      const payloads = [{ id: 1, text: 'héllo\nworld' }, 'a string', [1, 2, 3], null, { nested: { deep: true } }]
      for (const payload of payloads) expect(destination.send({ payload })).to.equal(true)
      clock.advance(52_000) // 14:03:59, the window ends at 14:04:00
      expect(destination.send({ payload: 42 })).to.equal(true)
      expect(await s3.listKeys('dest-one', 'one/')).to.deep.equal([])

      // No further send: the timer alone closes the window.
      const written = once(destination, 'object')
      clock.advance(1000)
      const [object] = await written as [ObjectWritten]
      expect(object).to.include({ bucket: 'dest-one', records: 6 })
      const keys = await s3.listKeys('dest-one', 'one/')
      expect(keys).to.deep.equal([object.key])
      expect(object.key).to.match(KEY)
      const { body, contentEncoding } = await s3.getObject('dest-one', object.key)
      expect(contentEncoding).to.equal('gzip')
      expect(gunzipSync(body).toString('utf8')).to.equal(ndjson([...payloads, 42]))
      expect(destination.stats).to.deep.equal({ queued: 6, delivered: 6, objects: 1, failed: 0, pending: 0, late: 0, dropped: 0 })
      // Everything stored: the pair's chain is retired rather than kept open.
      expect(inspect(destination)).to.include('routes: 0')
      await destination.close()
      expect(clock.pending).to.equal(0)
    })

    it('starts a new object in the next minute', async function () {
      const clock = manualClock()
      const destination = createS3Destination({ ...s3.config, bucket: 'dest-one', prefix: 'minutes/', clock })
      destination.send({ payload: 'first' })
      clock.advance(MINUTE)
      await once(destination, 'object')
      destination.send({ payload: 'second' })
      await destination.close()
      const keys = await s3.listKeys('dest-one', 'minutes/')
      expect(keys).to.have.length(2)
      expect(keys[0]).to.match(/^minutes\/2026\/11\/25\/14\/2026-11-25-14-03-07-/)
      expect(keys[1]).to.match(/^minutes\/2026\/11\/25\/14\/2026-11-25-14-04-07-/)
      expect(await s3.readRecords('dest-one', 'minutes/')).to.deep.equal(['first', 'second'])
    })

    it('flush() stores the open batches at once and resolves when they are stored', async function () {
      const clock = manualClock()
      const destination = createS3Destination({ ...s3.config, bucket: 'dest-one', clock })
      destination.send({ prefix: 'flush-a', payload: 1 })
      destination.send({ prefix: 'flush-b', payload: 2 })
      destination.send({ prefix: 'flush-a', payload: 3 })
      await destination.flush()
      expect(await s3.readRecords('dest-one', 'flush-a/')).to.deep.equal([1, 3])
      expect(await s3.readRecords('dest-one', 'flush-b/')).to.deep.equal([2])
      expect(clock.pending).to.equal(0)
      expect(destination.stats).to.include({ delivered: 3, objects: 2, pending: 0 })

      // The destination stays usable: the next payload opens a new batch.
      destination.send({ prefix: 'flush-a', payload: 4 })
      await destination.flush()
      expect(await s3.listKeys('dest-one', 'flush-a/')).to.have.length(2)
      await destination.close()
    })

    it('gives every bucket and prefix its own objects; per-call values override the defaults', async function () {
      const destination = createS3Destination({ ...s3.config, bucket: 'dest-one', prefix: 'default', clock: manualClock() })
      destination.send({ payload: 'default' })
      destination.send({ prefix: 'p1', payload: 'one p1' })
      destination.send({ prefix: 'p1/', payload: 'one p1 again' })
      destination.send({ bucket: 'dest-two', payload: 'two default' })
      destination.send({ bucket: 'dest-two', prefix: 'p1', payload: 'two p1' })
      destination.send({ bucket: 'dest-two', prefix: '', payload: 'two root' })
      await destination.close()
      expect(await s3.readRecords('dest-one', 'default/')).to.deep.equal(['default'])
      expect(await s3.readRecords('dest-one', 'p1/')).to.deep.equal(['one p1', 'one p1 again'])
      expect(await s3.readRecords('dest-two', 'default/')).to.deep.equal(['two default'])
      expect(await s3.readRecords('dest-two', 'p1/')).to.deep.equal(['two p1'])
      const root = (await s3.listKeys('dest-two')).filter((key) => key.startsWith('2026/'))
      expect(root).to.have.length(1)
      expect(root[0]).to.match(/^2026\/11\/25\/14\/2026-11-25-14-03-07-[0-9a-f]{64}\.gz$/)
      expect(destination.stats).to.include({ queued: 6, delivered: 6, objects: 5 })
    })

    it('close() stores everything, clears every timer, and refuses further sends', async function () {
      const clock = manualClock()
      const destination = createS3Destination({ ...s3.config, bucket: 'dest-one', prefix: 'close', clock })
      destination.send({ payload: 'a' })
      destination.send({ prefix: 'close-other', payload: 'b' })
      expect(clock.pending).to.equal(2)
      await destination.close()
      expect(clock.pending).to.equal(0)
      expect(await s3.readRecords('dest-one', 'close/')).to.deep.equal(['a'])
      expectThrow(() => destination.send({ payload: 'late' }), 'ERR_DESTINATION_CLOSED')
      await destination.close() // idempotent
    })

    it('lets a process that sends and closes exit on its own', async function () {
      const moduleUrl = new URL('../../lib/sinks/create-s3-destination.ts', import.meta.url).href
      const script = `
        const { createS3Destination } = await import(${JSON.stringify(moduleUrl)})
        const destination = createS3Destination(${JSON.stringify({ ...s3.config, bucket: 'dest-one', prefix: 'child' })})
        destination.send({ payload: { from: 'child' } })
        await destination.close()
      `
      // The real clock: were a window timer or a socket left, the child would outlive the timeout.
      const code = await new Promise<number | string>((resolve) => {
        const child = execFile(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', script],
          { cwd: fileURLToPath(new URL('../..', import.meta.url)), timeout: 15_000, env: process.env })
        child.on('exit', (exitCode, signal) => { resolve(exitCode ?? String(signal)) })
      })
      expect(code).to.equal(0)
      expect(await s3.readRecords('dest-one', 'child/')).to.deep.equal([{ from: 'child' }])
    })

    it('never shows secrets in util.inspect()', async function () {
      const secret = 'wJalrXUtnFEMI-K7MDENG-SECRET'
      const destination = createS3Destination({ ...s3.config, secretAccessKey: secret, sessionToken: 'TOKEN-xyz', bucket: 'dest-one', clock: manualClock() })
      destination.send({ payload: 1 })
      const text = inspect(destination, { depth: Infinity, showHidden: true })
      expect(text).to.include('S3Destination')
      expect(text).not.to.include(secret)
      expect(text).not.to.include('TOKEN-xyz')
      await destination.close()
    })
  })

  describe('backpressure', function () {
    it('send() returns false while uploads are blocked, and buffering stays bounded', async function () {
      const { client, release, calls } = gatedClient()
      // One payload per batch, so every send makes an object that has to wait.
      const destination = createS3Destination({ client, bucket: 'slow-bucket', maxRecords: 1, clock: manualClock() })
      let sent = 0
      let ok = true
      while (ok && sent < 500) { ok = destination.send({ payload: { n: sent } }); sent++ }
      expect(ok).to.equal(false)
      expect(sent).to.be.below(100)
      // Let the blocked chain settle: it still must not start more uploads than `concurrency`.
      await new Promise((resolve) => setImmediate(resolve))
      expect(calls()).to.be.at.most(2)
      expect(destination.stats).to.include({ queued: sent, delivered: 0, pending: sent })

      const drained = once(destination, 'drain')
      const ready = destination.ready()
      release()
      await Promise.all([drained, ready])
      await destination.ready() // no longer blocked: resolves at once
      await destination.close()
      expect(destination.stats).to.include({ queued: sent, delivered: sent, objects: sent, failed: 0 })
      expect(calls()).to.equal(sent)
    })
  })

  describe('failures', function () {
    it('reports a failed upload once, rejects flush() and close() with it, and refuses further sends', async function () {
      const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
      mockClient(client).on(PutObjectCommand).rejects(new Error('AccessDenied for this test'))
      const destination = createS3Destination({ client, bucket: 'broken-bucket', clock: manualClock() })
      const errors = errorCounter(destination)
      destination.send({ prefix: 'a', payload: 1 })
      destination.send({ prefix: 'a', payload: 2 })
      destination.send({ prefix: 'b', payload: 3 })

      let flushError: unknown
      await destination.flush().catch((err) => { flushError = err })
      expect(flushError).to.include({ code: 'ERR_S3_UPLOAD', bucket: 'broken-bucket' })
      expect((flushError as Error).message).to.include('AccessDenied for this test')
      expect((flushError as { key: string }).key).to.match(/^[ab]\/2026\//)
      expect(errors).to.deep.equal([flushError])

      expect(expectThrow(() => destination.send({ payload: 4 }), 'ERR_S3_UPLOAD')).to.equal(flushError)
      let closeError: unknown
      await destination.close().catch((err) => { closeError = err })
      expect(closeError).to.equal(flushError)
      await destination.ready().then(() => { throw new Error('ready() resolved') }, (err) => { expect(err).to.equal(flushError) })
      expect(errors).to.have.length(1)
      expect(destination.stats).to.deep.equal({ queued: 3, delivered: 0, objects: 0, failed: 3, pending: 0, late: 0, dropped: 0 })
    })

    it('throws SerializationError for a payload JSON cannot write, queuing nothing', async function () {
      const { client, release } = gatedClient()
      release()
      const destination = createS3Destination({ client, bucket: 'b-serialize', clock: manualClock() })
      const cyclic: Record<string, unknown> = {}
      cyclic.self = cyclic
      for (const payload of [cyclic, 10n, () => 1, Symbol('s')]) {
        const err = expectThrow(() => destination.send({ payload }), 'ERR_SERIALIZE')
        expect(err).to.include({ index: 0 })
      }
      destination.send({ payload: 'fine' })
      expectThrow(() => destination.send({ payload: { big: 1n } }), 'ERR_SERIALIZE')
      await destination.close()
      expect(destination.stats).to.include({ queued: 1, delivered: 1, failed: 0 })
    })

    it('throws WindowOverflowError for a payload larger than maxBytes', async function () {
      const { client } = gatedClient()
      const destination = createS3Destination({ client, bucket: 'b-overflow', maxBytes: 16, clock: manualClock() })
      expectThrow(() => destination.send({ payload: 'x'.repeat(20) }), 'ERR_WINDOW_OVERFLOW')
      expect(destination.stats.queued).to.equal(0)
      await destination.close()
    })
  })

  describe('destroy()', function () {
    it('drops an open batch without storing a truncated object, clears timers, reports no error', async function () {
      const clock = manualClock()
      const { client, calls } = gatedClient()
      const destination = createS3Destination({ client, bucket: 'b-destroy', clock })
      const errors = errorCounter(destination)
      destination.send({ payload: 1 })
      destination.send({ prefix: 'x', payload: 2 })
      expect(clock.pending).to.equal(2)
      await destination.destroy()
      expect(clock.pending).to.equal(0)
      expect(calls()).to.equal(0)
      expect(errors).to.deep.equal([])
      expect(destination.stats).to.include({ queued: 2, failed: 2, pending: 0 })
      expectThrow(() => destination.send({ payload: 3 }), 'ERR_DESTINATION_CLOSED')
    })

    it('aborts uploads in flight; a pending flush() rejects', async function () {
      const { client, calls } = gatedClient()
      const destination = createS3Destination({ client, bucket: 'b-destroy', abortTimeout: 0, clock: manualClock() })
      const errors = errorCounter(destination)
      destination.send({ payload: 1 })
      const flushed = destination.flush()
      while (calls() === 0) await new Promise((resolve) => setImmediate(resolve))
      await destination.destroy()
      let flushError: unknown
      await flushed.catch((err) => { flushError = err })
      expect(flushError).to.include({ code: 'ERR_DESTINATION_CLOSED' })
      expect(errors).to.deep.equal([])
      expect(destination.stats).to.include({ delivered: 0, failed: 1 })
    })
  })

  describe('option validation', function () {
    const cases: Array<[string, unknown, string]> = [
      ['options not an object', 'bucket', 'options'],
      ['unknown option', { buckt: 'b' }, 'options.buckt'],
      ['bucket not a string', { bucket: 5 }, 'options.bucket'],
      ['empty bucket', { bucket: '' }, 'options.bucket'],
      ['bucket with a prefix in it', { bucket: 'logs/prod' }, 'options.bucket'],
      ['prefix not a string', { prefix: 5 }, 'options.prefix'],
      ['prefix starting with /', { prefix: '/abs' }, 'options.prefix'],
      ['prefix with ..', { prefix: 'a/../b' }, 'options.prefix'],
      ['windowMs 0', { windowMs: 0 }, 'options.windowMs'],
      ['maxBytes 0', { maxBytes: 0 }, 'options.maxBytes'],
      ['maxRecords 1.5', { maxRecords: 1.5 }, 'options.maxRecords'],
      ['level 10', { level: 10 }, 'options.level'],
      ['partSize below 5 MiB', { partSize: 1024 }, 'options.partSize'],
      ['queueSize 0', { queueSize: 0 }, 'options.queueSize'],
      ['concurrency 0', { concurrency: 0 }, 'options.concurrency'],
      ['abortTimeout -1', { abortTimeout: -1 }, 'options.abortTimeout'],
      ['clock not an object', { clock: 5 }, 'options.clock'],
      ['clock without now', { clock: { setTimeout () {}, clearTimeout () {} } }, 'options.clock.now'],
      ['client without send', { client: {} }, 'options.client'],
      ['client with a connection field', { client: new S3Client({ region: 'us-east-1' }), region: 'eu-west-1' }, 'options.region'],
      ['half a key pair', { accessKeyId: 'AKIA' }, 'options.secretAccessKey'],
      ['endpoint not a URL', { endpoint: 'ftp://host' }, 'options.endpoint'],
      ['maxAttempts 0', { maxAttempts: 0 }, 'options.maxAttempts'],
      ['params not an object', { params: 'STANDARD_IA' }, 'options.params'],
      ['params setting the key', { params: { Key: 'k' } }, 'options.params.Key']
    ]
    for (const [name, options, option] of cases) {
      it(`rejects ${name} (${option})`, function () {
        expectThrow(() => createS3Destination(options as never), 'ERR_INVALID_OPTION', option)
      })
    }

    const client = new S3Client({ region: 'us-east-1' })
    const events: Array<[string, unknown, string]> = [
      ['no event', undefined, 'event'],
      ['an event that is not an object', 'payload', 'event'],
      ['an unknown field', { payload: 1, Bucket: 'b' }, 'event.Bucket'],
      ['no bucket at all', { payload: 1 }, 'event.bucket'],
      ['a bucket that is not a string', { bucket: 3, payload: 1 }, 'event.bucket'],
      ['a bad prefix', { bucket: 'b', prefix: '/x', payload: 1 }, 'event.prefix'],
      ['no payload', { bucket: 'b' }, 'event.payload'],
      ['an undefined payload', { bucket: 'b', payload: undefined }, 'event.payload']
    ]
    for (const [name, event, option] of events) {
      it(`send() rejects ${name} (${option}), queuing nothing`, function () {
        const destination = createS3Destination({ client })
        expectThrow(() => destination.send(event as never), 'ERR_INVALID_OPTION', option)
        expect(destination.stats.queued).to.equal(0)
      })
    }

    it('accepts frozen options and does not change them', async function () {
      const clock = manualClock()
      const options = Object.freeze({ client, bucket: 'b', prefix: 'logs', windowMs: 1000, clock })
      const destination = createS3Destination(options)
      expect(options).to.deep.equal({ client, bucket: 'b', prefix: 'logs', windowMs: 1000, clock })
      await destination.close()
    })
  })

  it('passes params (storage class, encryption, metadata) to every object', async () => {
    const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'a', secretAccessKey: 'b' } })
    const mock = mockClient(client)
    mock.on(PutObjectCommand).resolves({ ETag: '"e"' })
    const destination = createS3Destination({ client, bucket: 'b', params: { StorageClass: 'STANDARD_IA', ServerSideEncryption: 'AES256', Metadata: { team: 'runs' } } })
    destination.send({ prefix: 'p1/', payload: { a: 1 } })
    destination.send({ prefix: 'p2/', payload: { b: 2 } })
    await destination.close()
    const inputs = mock.commandCalls(PutObjectCommand).map((c) => c.args[0].input)
    expect(inputs).to.have.length(2)
    for (const input of inputs) expect(input).to.deep.include({ StorageClass: 'STANDARD_IA', ServerSideEncryption: 'AES256', Metadata: { team: 'runs' }, ContentEncoding: 'gzip' })
  })
})
