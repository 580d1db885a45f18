import { inspect } from 'node:util'
import { expect } from 'chai'
import { S3Client } from '@aws-sdk/client-s3'
import { ConfigError, type ConfigIssue } from '../../lib/index.js'
import { resolveSinkConfig } from '../../lib/sinks/sink-config.js'
import { manualClock } from '../helpers/manual-clock.js'

const SECRET = 'wJalrXUtnFFFI/K7MDENG/SECRET-never-print-me'
const TOKEN = 'SESSION-TOKEN-never-print-me'
const BASE = Object.freeze({ type: 's3', bucket: 'runs-bucket', accessKeyId: 'AKIAEXAMPLE', secretAccessKey: SECRET, sessionToken: TOKEN, region: 'us-west-2' })

/** The ConfigError a config gives, with the secrets checked absent from everything it prints. */
function configError (config: unknown): ConfigError {
  let caught: unknown
  try {
    resolveSinkConfig(config)
  } catch (err) {
    caught = err
  }
  expect(caught).to.be.instanceOf(ConfigError)
  const err = caught as ConfigError
  expect(err.code).to.equal('ERR_S3_SINK_CONFIG')
  for (const text of [err.message, inspect(err, { depth: Infinity }), JSON.stringify(err.issues), String(err.stack)]) {
    for (const secret of [SECRET, TOKEN, '987654321']) expect(text).not.to.include(secret)
  }
  return err
}

const without = (...fields: string[]): Record<string, unknown> =>
  Object.fromEntries(Object.entries(BASE).filter(([k]) => !fields.includes(k)))

interface Case { name: string, config: Record<string, unknown>, path: string, problem: ConfigIssue['problem'] }

const CASES: Case[] = [
  { name: 'type missing', config: without('type'), path: 'type', problem: 'missing' },
  { name: 'type not s3', config: { ...BASE, type: 'gcs' }, path: 'type', problem: 'invalid' },
  { name: 'type of the wrong type', config: { ...BASE, type: 3 }, path: 'type', problem: 'type' },
  { name: 'bucket missing', config: without('bucket'), path: 'bucket', problem: 'missing' },
  { name: 'bucket a number', config: { ...BASE, bucket: 42 }, path: 'bucket', problem: 'type' },
  { name: 'bucket empty', config: { ...BASE, bucket: '' }, path: 'bucket', problem: 'invalid' },
  { name: 'bucket with a prefix in it (the SDK refuses a "/" only at the first upload)', config: { ...BASE, bucket: 'runs-bucket/prod' }, path: 'bucket', problem: 'invalid' },
  { name: 'bucket with a space', config: { ...BASE, bucket: 'runs bucket' }, path: 'bucket', problem: 'invalid' },
  { name: 'bucketName with a prefix in it', config: { ...without('bucket'), bucketName: 'runs-bucket/prod' }, path: 'bucketName', problem: 'invalid' },
  { name: 'bucketName a number', config: { ...without('bucket'), bucketName: 42 }, path: 'bucketName', problem: 'type' },
  { name: 'bucket and bucketName differ', config: { ...BASE, bucketName: 'other' }, path: 'bucketName', problem: 'invalid' },
  { name: 'accessKeyId missing', config: without('accessKeyId'), path: 'accessKeyId', problem: 'missing' },
  { name: 'accessKeyId a number', config: { ...BASE, accessKeyId: 5 }, path: 'accessKeyId', problem: 'type' },
  { name: 'secretAccessKey missing', config: without('secretAccessKey'), path: 'secretAccessKey', problem: 'missing' },
  { name: 'secretAccessKey a number', config: { ...BASE, secretAccessKey: 987654321 }, path: 'secretAccessKey', problem: 'type' },
  { name: 'secretAccessKey empty', config: { ...BASE, secretAccessKey: '' }, path: 'secretAccessKey', problem: 'invalid' },
  { name: 'sessionToken a number', config: { ...BASE, sessionToken: 987654321 }, path: 'sessionToken', problem: 'type' },
  { name: 'region a boolean', config: { ...BASE, region: true }, path: 'region', problem: 'type' },
  { name: 'prefix a number', config: { ...BASE, prefix: 7 }, path: 'prefix', problem: 'type' },
  { name: 'prefix with ..', config: { ...BASE, prefix: 'a/../b' }, path: 'prefix', problem: 'invalid' },
  { name: 'prefix with a leading /', config: { ...BASE, prefix: '/runs' }, path: 'prefix', problem: 'invalid' },
  { name: 'skipOnFail a string', config: { ...BASE, skipOnFail: 'yes' }, path: 'skipOnFail', problem: 'type' },
  { name: 'skipOnFailure (a typo)', config: { ...BASE, skipOnFailure: true }, path: 'skipOnFailure', problem: 'unknown' },
  { name: 'an unknown field', config: { ...BASE, colour: 'blue' }, path: 'colour', problem: 'unknown' },
  { name: 'apisToSend a string', config: { ...BASE, apisToSend: 'api1' }, path: 'apisToSend', problem: 'type' },
  { name: 'apisToSend with a number', config: { ...BASE, apisToSend: ['api1', 3] }, path: 'apisToSend[1]', problem: 'type' },
  { name: 'apisToSend with an empty name', config: { ...BASE, apisToSend: [''] }, path: 'apisToSend[0]', problem: 'invalid' },
  { name: 'apisToSend empty (it would drop every Run)', config: { ...BASE, apisToSend: [] }, path: 'apisToSend', problem: 'invalid' },
  { name: 'endpoint a number', config: { ...BASE, endpoint: 5 }, path: 'endpoint', problem: 'type' },
  { name: 'endpoint not http(s)', config: { ...BASE, endpoint: 'ftp://files' }, path: 'endpoint', problem: 'invalid' },
  { name: 'forcePathStyle a string', config: { ...BASE, forcePathStyle: 'true' }, path: 'forcePathStyle', problem: 'type' },
  { name: 'maxAttempts zero', config: { ...BASE, maxAttempts: 0 }, path: 'maxAttempts', problem: 'invalid' },
  { name: 'requestTimeout a string', config: { ...BASE, requestTimeout: '5s' }, path: 'requestTimeout', problem: 'type' },
  { name: 'connectionTimeout negative', config: { ...BASE, connectionTimeout: -1 }, path: 'connectionTimeout', problem: 'invalid' },
  { name: 'concurrency zero', config: { ...BASE, concurrency: 0 }, path: 'concurrency', problem: 'invalid' },
  { name: 'concurrency a string', config: { ...BASE, concurrency: '8' }, path: 'concurrency', problem: 'type' },
  { name: 'client not an S3Client', config: { type: 's3', bucket: 'b1b', client: {} }, path: 'client', problem: 'type' },
  { name: 'batched a string', config: { ...BASE, batched: 'yes' }, path: 'batched', problem: 'type' },
  { name: 'batched.windowMs zero', config: { ...BASE, batched: { windowMs: 0 } }, path: 'batched.windowMs', problem: 'invalid' },
  { name: 'batched.level 10', config: { ...BASE, batched: { level: 10 } }, path: 'batched.level', problem: 'invalid' },
  { name: 'batched.maxRecords a string', config: { ...BASE, batched: { maxRecords: '5' } }, path: 'batched.maxRecords', problem: 'type' },
  { name: 'batched.chunkSize zero', config: { ...BASE, batched: { chunkSize: 0 } }, path: 'batched.chunkSize', problem: 'invalid' },
  { name: 'batched.chunkSize a string', config: { ...BASE, batched: { chunkSize: '64k' } }, path: 'batched.chunkSize', problem: 'type' },
  { name: 'batched.idleTimeoutMs negative', config: { ...BASE, batched: { timeOf: () => 0, idleTimeoutMs: -1 } }, path: 'batched.idleTimeoutMs', problem: 'invalid' },
  { name: 'batched.gzip (unknown)', config: { ...BASE, batched: { gzip: true } }, path: 'batched.gzip', problem: 'unknown' },
  { name: 'params not an object', config: { ...BASE, params: 'STANDARD_IA' }, path: 'params', problem: 'type' },
  { name: 'params setting the key', config: { ...BASE, params: { Key: 'k' } }, path: 'params.Key', problem: 'invalid' },
  { name: 'clock not an object', config: { ...BASE, clock: 5 }, path: 'clock', problem: 'type' },
  { name: 'clock without now', config: { ...BASE, clock: { setTimeout () {}, clearTimeout () {} } }, path: 'clock.now', problem: 'missing' }
]

describe('resolveSinkConfig()', () => {
  describe('one problem: its path and problem, and no secret in anything printed', () => {
    for (const c of CASES) {
      it(c.name, () => {
        const err = configError(c.config)
        expect(err.issues.map((i) => ({ path: i.path, problem: i.problem }))).to.deep.equal([{ path: c.path, problem: c.problem }])
        expect(err.message).to.include(c.path)
      })
    }
  })

  it('reports a config that is not an object', () => {
    expect(configError(undefined).issues).to.deep.equal([{ path: 'config', problem: 'missing', message: 'must be an object, got undefined' }])
    expect(configError([]).issues[0]).to.include({ path: 'config', problem: 'type' })
    expect(configError('s3').issues[0]).to.include({ path: 'config', problem: 'type' })
  })

  it('reports several problems at once in one ConfigError', () => {
    const err = configError({
      type: 's3', bucket: 5, secretAccessKey: 987654321, region: 'us-west-2', endpoint: 'ftp://x',
      skipOnFailure: true, apisToSend: [1, 'ok', null], concurrency: 0, batched: { windowMs: -1, level: 'max' }
    })
    expect(err.issues.map((i) => `${i.path}:${i.problem}`).sort()).to.deep.equal([
      'accessKeyId:missing', 'apisToSend[0]:type', 'apisToSend[2]:type', 'batched.level:type', 'batched.windowMs:invalid',
      'bucket:type', 'concurrency:invalid', 'endpoint:invalid', 'secretAccessKey:type', 'skipOnFailure:unknown'
    ])
  })

  it('points a near-miss field at the one it resembles', () => {
    const err = configError({ ...BASE, skipOnFailure: true, Bucket: 'x' })
    expect(err.issues.find((i) => i.path === 'skipOnFailure')?.message).to.include('did you mean skipOnFail?')
    expect(err.issues.find((i) => i.path === 'Bucket')?.message).to.include('did you mean bucket?')
  })

  it('reports a wrong secret by name only, whatever its value', () => {
    const err = configError({ ...BASE, secretAccessKey: 987654321, sessionToken: true })
    expect(err.issues.map((i) => i.message)).to.deep.equal(['must be a non-empty string', 'must be a non-empty string'])
  })

  it('needs no keys and no region: the SDK default credential and region chains apply', () => {
    const settings = resolveSinkConfig({ type: 's3', bucket: 'runs' })
    expect(settings.bucket).to.equal('runs')
    expect(settings.ownsClient).to.equal(true)
    settings.client.destroy()
  })

  it('accepts bucketName as an alias of bucket', () => {
    const settings = resolveSinkConfig({ ...without('bucket'), bucketName: 'alias-bucket' })
    expect(settings.bucket).to.equal('alias-bucket')
    expect(resolveSinkConfig({ ...BASE, bucketName: BASE.bucket }).bucket).to.equal(BASE.bucket)
  })

  it('resolves a valid config with its defaults, without mutating it, and never prints the secrets', () => {
    const config = Object.freeze({ ...BASE, prefix: 'my-prefix//', apisToSend: Object.freeze(['api1']), endpoint: 'http://127.0.0.1:9', forcePathStyle: true })
    const settings = resolveSinkConfig(config)
    expect(settings).to.include({ bucket: 'runs-bucket', prefix: 'my-prefix/', skipOnFail: false, concurrency: undefined, batched: null })
    expect(settings.apisToSend).to.deep.equal(['api1'])
    expect(settings.client).to.be.instanceOf(S3Client)
    const printed = inspect(settings, { depth: 6 })
    expect(printed).not.to.include(SECRET)
    expect(printed).not.to.include(TOKEN)
  })

  it('turns batched: true into the stage defaults and keeps the given window options', () => {
    expect(resolveSinkConfig({ ...BASE, batched: true }).batched).to.deep.equal({})
    expect(resolveSinkConfig({ ...BASE, batched: false }).batched).to.equal(null)
    expect(resolveSinkConfig({ ...BASE, batched: { windowMs: 1000, maxBytes: 10, maxRecords: 2, level: 1 } }).batched)
      .to.deep.equal({ windowMs: 1000, maxBytes: 10, maxRecords: 2, level: 1 })
  })

  it('takes a client of its own instead of connection fields, and refuses both together', () => {
    const client = new S3Client({ region: 'us-east-1' })
    const clock = manualClock()
    const settings = resolveSinkConfig({ type: 's3', bucket: 'b1b', client, clock, concurrency: 3 })
    expect(settings.client).to.equal(client)
    expect(settings.clock).to.equal(clock)
    expect(settings.concurrency).to.equal(3)
    const err = configError({ ...BASE, client })
    expect(err.issues.map((i) => `${i.path}:${i.problem}`).sort()).to.deep.equal([
      'accessKeyId:invalid', 'region:invalid', 'secretAccessKey:invalid', 'sessionToken:invalid'
    ])
    client.destroy()
  })
})
