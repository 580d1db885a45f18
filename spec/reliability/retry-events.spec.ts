import { once } from 'node:events'
import { inspect } from 'node:util'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { createS3Destination, minuteWindow, s3Writable, type UploadRetry } from '../../lib/index.js'
import { createS3Sink } from '../../lib/sinks/create-s3-sink.js'
import { fastClock } from '../helpers/fast-clock.js'
import { manualClock } from '../helpers/manual-clock.js'
import { run, source } from '../helpers/streams.js'

const TOKEN = 'TOKEN-in-the-raw-response'

/** A 500 as the SDK raises it, with the raw response (and its request headers) in `$response`. */
function internalError (): Error {
  const err = Object.assign(new Error('We encountered an internal error'), { name: 'InternalError', $metadata: { httpStatusCode: 500 } })
  Object.defineProperty(err, '$response', { value: { headers: { 'x-amz-security-token': TOKEN } }, enumerable: false })
  return err
}

/** A client whose first `failures` PutObjects fail with a 500. */
function flaky (failures: number): { client: S3Client, mock: ReturnType<typeof mockClient> } {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } })
  const mock = mockClient(client)
  let calls = 0
  mock.on(PutObjectCommand).callsFake(async () => {
    if (calls++ < failures) throw internalError()
    return { ETag: '"e"' }
  })
  return { client, mock }
}

function expectRetry (retry: UploadRetry, key: RegExp | string): void {
  expect(Object.keys(retry).sort()).to.deep.equal(['attempt', 'delayMs', 'error', 'key'])
  if (typeof key === 'string') expect(retry.key).to.equal(key)
  else expect(retry.key).to.match(key)
  expect(retry.attempt).to.equal(1)
  expect(retry.delayMs).to.be.within(0, 100)
  expect(retry.error).to.include({ name: 'InternalError' })
  expect(inspect(retry, { showHidden: true, depth: Infinity })).not.to.include(TOKEN)
}

describe('reliability: \'retry\' events on every sink (aws-sdk-client-mock)', function () {
  this.timeout(10_000)

  it('s3Writable(): one event per retry, the error without its raw response', async () => {
    const { client } = flaky(1)
    const sink = s3Writable({ bucket: 'b', client, clock: fastClock() })
    const retries: UploadRetry[] = []
    sink.on('retry', (r: UploadRetry) => retries.push(r))
    await pipeline(source([{ a: 1 }]), minuteWindow({ clock: manualClock() }), sink)
    expect(retries).to.have.length(1)
    expectRetry(retries[0]!, /\.ndjson$/)
  })

  it('createS3Sink(), per Run and batched', async () => {
    for (const batched of [false, true]) {
      const { client } = flaky(1)
      const sink = createS3Sink({ type: 's3', bucket: 'b', client, batched, clock: fastClock() })
      const retries: UploadRetry[] = []
      sink.on('retry', (r: UploadRetry) => retries.push(r))
      await pipeline(source([run(1, 'api')]), sink)
      expect(retries, `batched: ${batched}`).to.have.length(1)
      expectRetry(retries[0]!, batched ? /\.gz$/ : 'api/run-1.json')
    }
  })

  it('createS3Destination()', async () => {
    const { client } = flaky(1)
    const destination = createS3Destination({ bucket: 'b', client, clock: fastClock() })
    const retries: UploadRetry[] = []
    destination.on('retry', (r: UploadRetry) => retries.push(r))
    destination.send({ prefix: 'p/', payload: { a: 1 } })
    await destination.close()
    expect(retries).to.have.length(1)
    expectRetry(retries[0]!, /^p\/.+\.gz$/)
    expect(destination.stats).to.include({ delivered: 1, failed: 0 })
  })

  it('destroy() during a backoff wait ends it at once: no further attempt, close fires, the wait is cleared, no error of the retry', async () => {
    const { client, mock } = flaky(Infinity)
    // A clock that never moves: its backoff wait cannot end on its own, so only destroy can end
    // it, and no wall-clock margin depends on how loaded the machine is.
    const clock = manualClock()
    const sink = s3Writable({ bucket: 'b', client, clock })
    const errors: Error[] = []
    sink.on('error', (e) => errors.push(e))
    let retries = 0
    sink.on('retry', () => { retries++ })
    sink.write((await collectBatch())[0])
    while (clock.pending === 0) await new Promise((resolve) => setTimeout(resolve, 5))
    const calls = mock.commandCalls(PutObjectCommand).length
    sink.destroy()
    await once(sink, 'close')
    expect(clock.pending, 'the wait\'s timer cleared').to.equal(0)
    await new Promise((resolve) => setTimeout(resolve, 50))
    expect(mock.commandCalls(PutObjectCommand)).to.have.length(calls)
    expect(retries).to.equal(1)
    expect(errors).to.deep.equal([])
  })

  it('validates retryFor and ifNoneMatch in every factory', () => {
    const bad: Array<[unknown, string]> = [[-1, 'retryFor'], [1.5, 'retryFor'], ['60000', 'retryFor'], [8 * 24 * 3600_000, 'retryFor'], ['yes', 'ifNoneMatch']]
    for (const [value, field] of bad) {
      expect(() => s3Writable({ bucket: 'b', [field]: value })).to.throw().with.property('option', `options.${field}`)
      expect(() => createS3Destination({ bucket: 'b', [field]: value })).to.throw().with.property('option', `options.${field}`)
      const config = { type: 's3', bucket: 'b', region: 'r', accessKeyId: 'A', secretAccessKey: 'S', [field]: value }
      expect(() => createS3Sink(config as never)).to.throw().with.property('issues')
        .that.satisfies((issues: Array<{ path: string }>) => issues.length === 1 && issues[0]!.path === field)
    }
    expect(() => s3Writable({ bucket: 'b', socketTimeout: -5 })).to.throw().with.property('option', 'options.socketTimeout')
  })
})

/** One batch from minuteWindow(), taken off the stage by hand. */
async function collectBatch (): Promise<unknown[]> {
  const window = minuteWindow({ clock: manualClock() })
  window.end({ a: 1 })
  const batches: unknown[] = []
  for await (const batch of window) batches.push(batch)
  return batches
}
