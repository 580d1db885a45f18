import { expect } from 'chai'
import { inspect } from 'node:util'
import { S3Client } from '@aws-sdk/client-s3'
import { InvalidOptionError } from '../../lib/errors.js'
import { OptionProblems } from '../../lib/internal/option-problems.js'
import { createS3Destination } from '../../lib/sinks/create-s3-destination.js'
import { s3Writable } from '../../lib/sinks/s3-writable.js'

/** What a factory threw, as the issues it lists. */
function issuesOf (build: () => unknown): Array<{ option: string, message: string }> {
  try {
    build()
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidOptionError)
    const e = err as InvalidOptionError
    expect(e.code).to.equal('ERR_INVALID_OPTION')
    expect(e.option).to.equal(e.issues[0]?.option)
    expect(e.message).to.equal(e.issues.map((i) => `${i.option} ${i.message}`).join('; '))
    return [...e.issues]
  }
  throw new Error('did not throw')
}

const SECRET = 'SECRET-wJalrXUtnFEMI-K7MDENG'

describe('all-at-once option checks: s3Writable() and createS3Destination()', () => {
  it('s3Writable() names every problem in one ERR_INVALID_OPTION, unknown options with their nearest name', () => {
    const issues = issuesOf(() => s3Writable({ partsize: 1, queueSize: 0, concurrency: 'two', prefix: '/abs', region: 5, endpoint: 'ftp://x', manifest: true } as never))
    expect(issues.map((i) => i.option)).to.deep.equal([
      'options.partsize', 'options.manifest', 'options.bucket', 'options.prefix', 'options.queueSize', 'options.concurrency', 'options.region', 'options.endpoint'
    ])
    expect(issues[0]!.message).to.equal('is not a known option; did you mean partSize?')
    expect(issues[1]!.message).to.equal('is not a known option; did you mean manifests?')
  })

  it('s3Writable() refuses a bucket (or bucketName) with a prefix in it, which the SDK would refuse only at the first upload', () => {
    for (const options of [{ bucket: 'logs/prod' }, { bucketName: 'logs/prod' }, { bucket: 'my logs' }]) {
      const issues = issuesOf(() => s3Writable({ region: 'us-east-1', ...options } as never))
      expect(issues.map((i) => i.option), JSON.stringify(options)).to.deep.equal([`options.${Object.keys(options)[0]!}`])
    }
  })

  it('createS3Destination() names every problem in one ERR_INVALID_OPTION', () => {
    const issues = issuesOf(() => createS3Destination({ maxRecord: 5, windowMs: 0, level: 42, allowedLatenessMs: 10, partSize: 1, retryFor: -1 } as never))
    expect(issues.map((i) => i.option)).to.deep.equal([
      'options.maxRecord', 'options.windowMs', 'options.level', 'options.partSize', 'options.retryFor', 'options.allowedLatenessMs'
    ])
    expect(issues[0]!.message).to.equal('is not a known option; did you mean maxRecords?')
  })

  it('a client of your own: every connection field that comes with it is named', () => {
    const client = new S3Client({ region: 'us-east-1' })
    try {
      const issues = issuesOf(() => s3Writable({ bucket: 'b', client, region: 'eu-west-1', endpoint: 'http://127.0.0.1:1' }))
      expect(issues.map((i) => i.option)).to.deep.equal(['options.region', 'options.endpoint'])
      expect(issuesOf(() => createS3Destination({ client: {} as never, windowMs: -1 })).map((i) => i.option)).to.deep.equal(['options.windowMs', 'options.client'])
    } finally {
      client.destroy()
    }
  })

  it('one problem is reported as before: option and message of that one', () => {
    expect(issuesOf(() => s3Writable({ bucket: 'b', partSize: 1 }))).to.have.length(1)
    expect(() => createS3Destination({ windowMs: 0 })).to.throw(/^options\.windowMs must be between 1 and \d+, got 0$/)
  })

  it('never shows a secret, whatever else is wrong', () => {
    for (const build of [
      () => s3Writable({ bucket: 'b', secretAccessKey: SECRET, sessionToken: SECRET, queueSize: 0 }),
      () => createS3Destination({ secretAccessKey: SECRET, sessionToken: 42 as never, windowMs: 0 })
    ]) {
      const err = (() => { try { build() } catch (e) { return e } })()
      expect(err).to.be.instanceOf(InvalidOptionError)
      expect(inspect(err, { depth: 5 })).not.to.include(SECRET)
      expect((err as InvalidOptionError).issues.map((i) => i.option)).to.include('options.accessKeyId')
    }
  })

  it('does not mutate the options', async () => {
    const options = Object.freeze({ bucket: 'b', region: 'us-east-1', params: Object.freeze({ StorageClass: 'STANDARD_IA' as const }), ifNoneMatch: true })
    s3Writable(options).destroy()
    await createS3Destination(options).destroy()
    expect(options.params).to.deep.equal({ StorageClass: 'STANDARD_IA' })
  })
})

describe('OptionProblems', () => {
  it('keeps one problem per option and throws anything that is not an option error', () => {
    const problems = new OptionProblems()
    problems.add('options.a', 'is bad')
    problems.add('options.a', 'is bad again')
    problems.check(() => { throw new InvalidOptionError('options.b', 'is worse') })
    expect(() => problems.check(() => { throw new TypeError('a bug') })).to.throw(TypeError)
    expect(issuesOf(() => { problems.throwIfAny() })).to.deep.equal([{ option: 'options.a', message: 'is bad' }, { option: 'options.b', message: 'is worse' }])
    expect(() => { new OptionProblems().throwIfAny() }).not.to.throw()
  })
})
