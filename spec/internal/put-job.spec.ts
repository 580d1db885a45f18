import { createServer, type AddressInfo } from 'node:net'
import { expect } from 'chai'
import { PutObjectCommand, S3Client, type PutObjectCommandInput } from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { PutJob, type PutJobSettings } from '../../lib/internal/put-job.js'
import type { RetryNotice } from '../../lib/internal/retry-loop.js'
import { manualClock, type ManualClock } from '../helpers/manual-clock.js'

const status = (code: number, name: string): Error => Object.assign(new Error(name), { name, $metadata: { httpStatusCode: code } })

describe('PutJob (one PutObject of a Run, retried)', () => {
  let client: S3Client
  let mock: ReturnType<typeof mockClient>
  let clock: ManualClock
  let retries: Array<[RetryNotice, string]>
  const settings = (extra: Partial<PutJobSettings> = {}): PutJobSettings => ({
    client,
    params: Object.freeze({ Bucket: 'b', ContentType: 'application/json' }),
    cancel: null,
    abortTimeout: 50,
    retry: { retryFor: 60_000, maxAttempts: Infinity, clock, random: () => 0 },
    onRetry: (notice, key) => { retries.push([notice, key]) },
    ...extra
  })
  const inputs = (): PutObjectCommandInput[] => mock.commandCalls(PutObjectCommand).map((call) => call.args[0].input)

  beforeEach(() => {
    client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } })
    mock = mockClient(client)
    clock = manualClock()
    retries = []
  })

  it('sends the shared params with its key and body, and settles stored with the ETag', async () => {
    mock.on(PutObjectCommand).resolves({ ETag: '"e1"' })
    const shared = settings()
    const body = Buffer.from('{"a":1}')
    const job = new PutJob(shared, 'k/1.json', body)
    await job.settled
    expect(job).to.include({ ok: true, etag: '"e1"', outcome: 'stored', bytes: body.length, failure: undefined })
    expect(inputs()).to.deep.equal([{ Bucket: 'b', ContentType: 'application/json', Key: 'k/1.json', Body: body }])
    expect(shared.params).to.deep.equal({ Bucket: 'b', ContentType: 'application/json' })
  })

  it('retries a 500 with a fresh input (what the SDK wrote into the first one stays there), reporting the key', async () => {
    let calls = 0
    mock.on(PutObjectCommand).callsFake(async (input: PutObjectCommandInput) => {
      if (++calls > 1) return { ETag: '"e2"' }
      // The SDK's checksum middleware writes into the input it sends.
      input.ChecksumAlgorithm = 'CRC32'
      throw status(500, 'InternalError')
    })
    const job = new PutJob(settings(), 'k/2.json', Buffer.from('{}'))
    // The retry waits 0 ms on the manual clock: it fires on the next advance.
    for (let i = 0; i < 20 && clock.pending === 0; i++) await new Promise((resolve) => setImmediate(resolve))
    clock.advance(0)
    await job.settled
    expect(job.ok).to.equal(true)
    expect(inputs()[1]).to.not.have.property('ChecksumAlgorithm')
    expect(retries.map(([notice, key]) => [notice.attempt, notice.kind, key])).to.deep.equal([[1, 'transient', 'k/2.json']])
  })

  it('fails at once on a permanent error: not stored, after 1 attempt', async () => {
    mock.on(PutObjectCommand).rejects(status(403, 'AccessDenied'))
    const job = new PutJob(settings(), 'k/3.json', Buffer.from('{}'))
    await job.settled
    expect(job.ok).to.equal(false)
    expect((job.failure as Error).name).to.equal('AccessDenied')
    expect(job.failedAfter).to.deep.equal({ attempts: 1, ms: 0 })
    expect(job.outcome).to.equal('not-stored')
  })

  it('a client whose send() throws instead of rejecting: that attempt failed, the job settles (it does not throw)', async () => {
    let calls = 0
    const throwing = { send: () => { calls++; throw status(403, 'AccessDenied') } } as unknown as S3Client
    const job = new PutJob(settings({ client: throwing }), 'k/sync.json', Buffer.from('{}'))
    await job.settled
    expect(job.ok).to.equal(false)
    expect((job.failure as Error).name).to.equal('AccessDenied')
    expect(calls).to.equal(1)
    const after = new PutJob(settings({ client: throwing }), 'k/sync2.json', Buffer.from('{}'), job.settled)
    await after.settled
    expect((after.failure as Error).name).to.equal('AccessDenied')
  })

  it('a request that never reached the store (connection refused, no credentials) leaves the outcome not-stored, not unknown', async () => {
    const closed = createServer()
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
    const { port } = closed.address() as AddressInfo
    await new Promise((resolve) => closed.close(resolve))
    const endpoint = `http://127.0.0.1:${port}`
    const refusing = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, maxAttempts: 1, credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } })
    const unsigned = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, maxAttempts: 1, credentials: () => Promise.reject(Object.assign(new Error('Could not load credentials from any providers'), { name: 'CredentialsProviderError' })) })
    for (const [label, c, cause] of [['refused', refusing, 'ECONNREFUSED'], ['no credentials', unsigned, 'CredentialsProviderError']] as const) {
      const job = new PutJob(settings({ client: c, retry: { retryFor: 0, maxAttempts: Infinity, clock, random: () => 0 } }), 'k/never.json', Buffer.from('{}'))
      await job.settled
      const failure = job.failure as { code?: string, name?: string }
      expect(failure.code ?? failure.name, label).to.equal(cause)
      expect(job.outcome, label).to.equal('not-stored')
      c.destroy()
    }
  })

  it('gives up once retryFor has passed; a 500 leaves the outcome unknown', async () => {
    mock.on(PutObjectCommand).rejects(status(500, 'InternalError'))
    // Every backoff is its ceiling (random 1 → capped at 20 s after a few retries).
    const job = new PutJob(settings({ retry: { retryFor: 1_000, maxAttempts: Infinity, clock, random: () => 0.999 } }), 'k/4.json', Buffer.from('{}'))
    for (let i = 0; i < 20 && clock.pending === 0; i++) await new Promise((resolve) => setImmediate(resolve))
    for (let i = 0; i < 50 && job.failedAfter === undefined; i++) {
      clock.advance(1_000)
      await new Promise((resolve) => setImmediate(resolve))
    }
    await job.settled
    expect(job.ok).to.equal(false)
    expect(job.outcome).to.equal('unknown')
    expect(job.failedAfter?.attempts).to.be.greaterThan(1)
  })

  it('with If-None-Match, a 412 counts as stored (the key was taken by an earlier write)', async () => {
    mock.on(PutObjectCommand).rejects(status(412, 'PreconditionFailed'))
    const job = new PutJob(settings({ params: { Bucket: 'b', IfNoneMatch: '*' } }), 'k/5.json', Buffer.from('{}'))
    await job.settled
    expect(job).to.include({ ok: true, alreadyPresent: true, outcome: 'stored' })
  })

  it('abort() during a retry wait ends the job at once, with no further attempt', async () => {
    mock.on(PutObjectCommand).rejects(status(503, 'SlowDown'))
    const job = new PutJob(settings({ abortTimeout: 10_000 }), 'k/6.json', Buffer.from('{}'))
    for (let i = 0; i < 20 && clock.pending === 0; i++) await new Promise((resolve) => setImmediate(resolve))
    expect(clock.pending).to.equal(1)
    const stop = new Error('stop')
    const started = Date.now()
    await job.abort(stop)
    expect(Date.now() - started).to.be.below(5_000) // not the abort timeout
    expect(clock.pending).to.equal(0)
    expect(job.ok).to.equal(false)
    expect(mock.commandCalls(PutObjectCommand)).to.have.length(1)
    expect(job.outcome).to.equal('not-stored') // a 503 is a refusal
  })

  it('abort() aborts the shared signal its requests carry, and gives up on a request that ignores it after abortTimeout', async () => {
    const cancel = new AbortController()
    let signal: AbortSignal | undefined
    mock.on(PutObjectCommand).callsFake(async () => await new Promise(() => {}))
    const send = client.send.bind(client)
    client.send = ((command: never, options?: { abortSignal?: AbortSignal }) => { signal = options?.abortSignal; return send(command) }) as typeof client.send
    const job = new PutJob(settings({ cancel }), 'k/7.json', Buffer.from('{}'))
    await new Promise((resolve) => setImmediate(resolve))
    expect(signal).to.equal(cancel.signal)
    const stop = new Error('stop')
    await job.abort(stop)
    expect(cancel.signal.reason).to.equal(stop)
    expect(job.failure).to.equal(stop)
    expect(job.outcome).to.equal('unknown') // it went out; no answer says it was not stored
  })

  it('starts only once `after` has settled, even if that rejected', async () => {
    mock.on(PutObjectCommand).resolves({ ETag: '"e8"' })
    let release: (err: Error) => void = () => {}
    const after = new Promise((_resolve, reject) => { release = reject })
    const job = new PutJob(settings(), 'k/8.json', Buffer.from('{}'), after)
    await new Promise((resolve) => setImmediate(resolve))
    expect(mock.commandCalls(PutObjectCommand)).to.have.length(0)
    release(new Error('the earlier write failed'))
    await job.settled
    expect(job.ok).to.equal(true)
  })
})
