import { once } from 'node:events'
import { createServer, type Server } from 'node:http'
import type { AddressInfo } from 'node:net'
import { pipeline } from 'node:stream/promises'
import { inspect } from 'node:util'
import { expect } from 'chai'
import { S3Client } from '@aws-sdk/client-s3'
import { gzip, minuteWindow, s3Writable, type S3WritableOptions } from '../../lib/index.js'
import { abortIncompleteUploads } from '../../lib/admin/abort-incomplete-uploads.js'
import { doctor } from '../../lib/admin/doctor.js'
import { createS3Destination } from '../../lib/sinks/create-s3-destination.js'
import { createS3Sink } from '../../lib/sinks/create-s3-sink.js'
import { startFaultProxy, type FaultKind, type FaultProxy } from '../helpers/fault-proxy.js'
import { manualClock } from '../helpers/manual-clock.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { source } from '../helpers/streams.js'

const SECRET = 'SECRET-xyz'
const TOKEN = 'TOKEN-abc'
// s3rver checks the key id (not the signature): its own one gets real answers.
const CREDENTIALS = { accessKeyId: 'S3RVER', secretAccessKey: SECRET, sessionToken: TOKEN }

/** Every way a value commonly gets printed or logged. */
function renderings (value: unknown, { showHidden = true } = {}): Record<string, string> {
  const out: Record<string, string> = {
    'inspect()': inspect(value),
    'inspect(depth: Infinity)': inspect(value, { depth: Infinity }),
    'String()': String(value)
  }
  if (showHidden) out['inspect(depth: Infinity, showHidden)'] = inspect(value, { depth: Infinity, showHidden: true })
  if (value instanceof Error) {
    out.message = value.message
    out.stack = value.stack ?? ''
    out['JSON.stringify'] = JSON.stringify(value) ?? ''
  }
  return out
}

function expectNoSecrets (value: unknown, options?: { showHidden?: boolean }): void {
  for (const [how, text] of Object.entries(renderings(value, options))) {
    expect(text.includes(SECRET), `${how} shows the secret access key`).to.equal(false)
    expect(text.includes(TOKEN), `${how} shows the session token`).to.equal(false)
  }
}

function thrown (fn: () => unknown): Error {
  try { fn() } catch (err) { return err as Error }
  throw new Error('expected a throw')
}

describe('reliability: secrets never show', function () {
  this.timeout(20_000)

  describe('in util.inspect of the sink', () => {
    it('s3Writable() with a secret and a session token, at any depth, with hidden fields', () => {
      const sink = s3Writable({ bucket: 'b', region: 'us-west-2', ...CREDENTIALS })
      expectNoSecrets(sink)
      sink.destroy()
    })

    it('createS3Sink() with a secret and a session token', () => {
      const sink = createS3Sink({ type: 's3', bucket: 'b', region: 'us-west-2', ...CREDENTIALS })
      expectNoSecrets(sink)
      sink.destroy()
    })
  })

  describe('in option and config errors', () => {
    const cases: Array<[string, () => unknown]> = [
      ['s3Writable: half a key pair', () => s3Writable({ bucket: 'b', secretAccessKey: SECRET, sessionToken: TOKEN })],
      ['s3Writable: a bad endpoint', () => s3Writable({ bucket: 'b', ...CREDENTIALS, endpoint: 'minio:9000' })],
      ['s3Writable: a misspelled secret field', () => s3Writable({ bucket: 'b', accessKeyId: 'AK', secretAccesKey: SECRET } as unknown as S3WritableOptions)],
      ['s3Writable: credentials next to a client', () => s3Writable({ bucket: 'b', client: new S3Client({ region: 'x' }), ...CREDENTIALS })],
      ['s3Writable: an empty session token', () => s3Writable({ bucket: 'b', accessKeyId: 'AK', secretAccessKey: SECRET, sessionToken: '' })],
      ['createS3Sink: missing fields', () => createS3Sink({ type: 's3', bucket: 'b', secretAccessKey: SECRET, sessionToken: TOKEN } as never)],
      ['createS3Sink: a secret of the wrong type', () => createS3Sink({ type: 's3', bucket: 'b', region: 'r', accessKeyId: 'AK', secretAccessKey: [SECRET], sessionToken: TOKEN } as never)]
    ]
    for (const [name, fn] of cases) {
      it(name, () => {
        const err = thrown(fn)
        expect(err).to.have.property('code').that.matches(/^ERR_(INVALID_OPTION|S3_SINK_CONFIG)$/)
        expectNoSecrets(err)
      })
    }

    // A secret of the wrong type must not be echoed either: `must be a string, got 987654321` would print it.
    describe('a secret that is not a string, in every factory', () => {
      const NUMERIC = 987654321
      const values: unknown[] = [NUMERIC, 98765.4321, true, 98765432109876543210n, [NUMERIC], { toString: () => String(NUMERIC) }]
      const texts = (value: unknown): string[] => [String(NUMERIC), '98765.4321', '98765432109876543210', String(value)].filter((t) => t.length > 4)
      const factories: Array<[string, (secret: unknown) => Promise<unknown> | unknown]> = [
        // The key id too: the README's Secrets section covers the whole key pair and the token.
        ['s3Writable accessKeyId', (v) => s3Writable({ bucket: 'b', accessKeyId: v, secretAccessKey: 'S' } as never)],
        ['createS3Sink accessKeyId', (v) => createS3Sink({ type: 's3', bucket: 'b', region: 'r', accessKeyId: v, secretAccessKey: 'S' } as never)],
        ['createS3Destination accessKeyId', (v) => createS3Destination({ bucket: 'b', accessKeyId: v, secretAccessKey: 'S' } as never)],
        ['doctor accessKeyId', async (v) => await doctor({ bucket: 'b', accessKeyId: v, secretAccessKey: 'S' } as never)],
        ['s3Writable secretAccessKey', (v) => s3Writable({ bucket: 'b', accessKeyId: 'AK', secretAccessKey: v } as never)],
        ['s3Writable sessionToken', (v) => s3Writable({ bucket: 'b', accessKeyId: 'AK', secretAccessKey: 'S', sessionToken: v } as never)],
        ['createS3Sink secretAccessKey', (v) => createS3Sink({ type: 's3', bucket: 'b', region: 'r', accessKeyId: 'AK', secretAccessKey: v } as never)],
        ['createS3Sink sessionToken', (v) => createS3Sink({ type: 's3', bucket: 'b', region: 'r', accessKeyId: 'AK', secretAccessKey: 'S', sessionToken: v } as never)],
        ['createS3Destination secretAccessKey', (v) => createS3Destination({ bucket: 'b', accessKeyId: 'AK', secretAccessKey: v } as never)],
        ['createS3Destination sessionToken', (v) => createS3Destination({ bucket: 'b', accessKeyId: 'AK', secretAccessKey: 'S', sessionToken: v } as never)],
        ['abortIncompleteUploads secretAccessKey', async (v) => await abortIncompleteUploads({ bucket: 'b', accessKeyId: 'AK', secretAccessKey: v, olderThan: 1 } as never)],
        ['doctor secretAccessKey', async (v) => await doctor({ bucket: 'b', accessKeyId: 'AK', secretAccessKey: v } as never)]
      ]
      for (const [name, make] of factories) {
        it(name, async () => {
          for (const value of values) {
            let err: unknown
            try { await make(value) } catch (e) { err = e }
            expect(err, `${name} = ${typeof value}`).to.have.property('code').that.matches(/^ERR_(INVALID_OPTION|S3_SINK_CONFIG)$/)
            for (const [how, text] of Object.entries(renderings(err))) {
              for (const secret of texts(value)) expect(text.includes(secret), `${how} of ${name} (${typeof value}) shows the secret`).to.equal(false)
            }
          }
        })
      }

      it('an endpoint with a password in it is refused without repeating it', () => {
        const err = thrown(() => s3Writable({ bucket: 'b', endpoint: `http://user:${SECRET}@127.0.0.1:9000` }))
        expect(err).to.include({ code: 'ERR_INVALID_OPTION', option: 'options.endpoint' })
        expectNoSecrets(err)
      })
    })

    it('abortIncompleteUploads: a bad option', async () => {
      const err = await abortIncompleteUploads({ bucket: 'b', ...CREDENTIALS, endpoint: 'nope', olderThan: 1 }).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_INVALID_OPTION', option: 'options.endpoint' })
      expectNoSecrets(err)
    })
  })

  describe('in errors of failed requests (s3rver behind a fault proxy, temporary credentials)', () => {
    let s3: LocalS3
    let proxy: FaultProxy | undefined
    before(async () => {
      s3 = await startS3rver()
      await s3.createBucket('secrets')
    })
    after(async () => { await s3.close() })
    afterEach(async () => { await proxy?.close(); proxy = undefined })

    async function failedUpload (fault: FaultKind | null, bucket = 'secrets'): Promise<{ err: Error, sink: ReturnType<typeof s3Writable> }> {
      proxy = await startFaultProxy({ target: s3.endpoint, rates: fault === null ? {} : { [fault]: 1 } })
      const sink = s3Writable({ ...s3.config, ...CREDENTIALS, endpoint: proxy.endpoint, bucket, requestTimeout: 200, maxAttempts: 1 })
      const err = await pipeline(source([{ n: 1 }]), minuteWindow({ clock: manualClock() }), gzip(), sink).catch((e: unknown) => e as Error)
      if (err === undefined) throw new Error('expected the upload to fail')
      return { err, sink }
    }

    for (const [fault, bucket] of [['accessDenied', 'secrets'], [null, 'no-such-bucket'], ['stall', 'secrets'], ['reset', 'secrets']] as const) {
      it(`S3UploadError after ${fault ?? 'NoSuchBucket'}: message, stack and inspect up to any depth`, async () => {
        const { err } = await failedUpload(fault, bucket)
        expect(err).to.include({ code: 'ERR_S3_UPLOAD' })
        expectNoSecrets(err, { showHidden: false })
      })
    }

    // The AWS error kept as `cause` holds the raw HTTP response in a
    // non-enumerable `$response`; through its socket it reaches the request
    // headers, session token included. S3UploadError keeps a copy without it.
    it('S3UploadError after an HTTP error response: inspect with showHidden does not show the session token', async () => {
      const { err, sink } = await failedUpload('accessDenied')
      expectNoSecrets(err)
      expectNoSecrets(sink)
    })

    it('ListUploadsError of abortIncompleteUploads(), even with showHidden', async () => {
      const err = await abortIncompleteUploads({ ...s3.config, ...CREDENTIALS, bucket: 'secrets', olderThan: 0, maxAttempts: 1 }).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_S3_LIST_UPLOADS' })
      expect((err as Error).cause).to.include({ name: 'NotImplemented' })
      expectNoSecrets(err)
    })
  })

  // S3 answers a request whose signature it cannot match with what it computed: the key id, the string to sign and
  // the canonical request, whose headers include x-amz-security-token with its value; and a request with an expired
  // or unknown session token with the token itself (Token-0). The SDK puts every field of that XML on the error it
  // throws, so the error kept as `cause` printed the session token (and the key id).
  describe('in errors after SignatureDoesNotMatch or ExpiredToken, whose answers echo the token', () => {
    const KEY_ID = 'AKID-987-key'
    let server: Server
    let endpoint: string
    before(async () => {
      server = createServer((req, res) => {
        req.resume()
        req.on('end', () => {
          const token = String(req.headers['x-amz-security-token'])
          res.writeHead(403, { 'content-type': 'application/xml' })
          if ((req.url ?? '').startsWith('/expired')) {
            res.end(`<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>ExpiredToken</Code><Message>The provided token has expired.</Message><Token-0>${token}</Token-0><RequestId>R2</RequestId><HostId>H2</HostId></Error>`)
            return
          }
          const keyId = /Credential=([^/]+)/.exec(req.headers.authorization ?? '')?.[1] ?? ''
          const canonical = `${req.method ?? ''}\n${req.url ?? ''}\n\nhost:${req.headers.host ?? ''}\nx-amz-security-token:${token}\n\nhost;x-amz-security-token\nUNSIGNED-PAYLOAD`
          res.end('<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>SignatureDoesNotMatch</Code>' +
            '<Message>The request signature we calculated does not match the signature you provided. Check your key and signing method.</Message>' +
            `<AWSAccessKeyId>${keyId}</AWSAccessKeyId><StringToSign>AWS4-HMAC-SHA256\n20261202T000000Z</StringToSign><SignatureProvided>0a1b</SignatureProvided>` +
            `<StringToSignBytes>41 57</StringToSignBytes><CanonicalRequest>${canonical}</CanonicalRequest><CanonicalRequestBytes>50 55 54</CanonicalRequestBytes>` +
            '<RequestId>R1</RequestId><HostId>H1</HostId></Error>')
        })
      })
      server.listen(0, '127.0.0.1')
      await once(server, 'listening')
      endpoint = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
    })
    after(() => { server.close() })

    const credentials = { accessKeyId: KEY_ID, secretAccessKey: SECRET, sessionToken: TOKEN }
    function expectNoneOfThem (err: unknown, name = 'SignatureDoesNotMatch'): void {
      expectNoSecrets(err)
      for (const [how, text] of Object.entries(renderings(err))) expect(text.includes(KEY_ID), `${how} shows the access key id`).to.equal(false)
      // What failed is still said.
      expect((err as Error).cause).to.include({ name })
    }

    it('S3UploadError of s3Writable()', async () => {
      const sink = s3Writable({ bucket: 'b', region: 'us-east-1', endpoint, forcePathStyle: true, ...credentials, maxAttempts: 1 })
      const err = await pipeline(source([{ n: 1 }]), minuteWindow({ clock: manualClock() }), gzip(), sink).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_S3_UPLOAD' })
      expectNoneOfThem(err)
      expectNoSecrets(sink)
    })

    it('S3UploadError of s3Writable() after ExpiredToken', async () => {
      const sink = s3Writable({ bucket: 'expired', region: 'us-east-1', endpoint, forcePathStyle: true, ...credentials, maxAttempts: 1 })
      const err = await pipeline(source([{ n: 1 }]), minuteWindow({ clock: manualClock() }), gzip(), sink).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_S3_UPLOAD' })
      expectNoneOfThem(err, 'ExpiredToken')
    })

    it('ListUploadsError of abortIncompleteUploads()', async () => {
      const err = await abortIncompleteUploads({ bucket: 'b', region: 'us-east-1', endpoint, forcePathStyle: true, ...credentials, olderThan: 0, maxAttempts: 1 }).catch((e: unknown) => e)
      expect(err).to.include({ code: 'ERR_S3_LIST_UPLOADS' })
      expectNoneOfThem(err)
    })

    // A caller's client (its own middleware, its own retry) may hand the AWS error on wrapped: as the `cause` of its
    // error, one or two levels deep, or among an AggregateError's `errors`. The fields are dropped at any depth.
    const wrappings: Array<[string, (err: unknown) => Error]> = [
      ['as the cause of an Error', (err) => new Error('send failed', { cause: err })],
      ['two levels deep in a cause chain', (err) => new Error('send failed', { cause: new Error('gave up retrying', { cause: err }) })],
      ['in an AggregateError, itself a cause', (err) => new Error('send failed', { cause: new AggregateError([new Error('attempt 1'), err], 'every attempt failed') })]
    ]
    for (const bucket of ['b', 'expired']) {
      for (const [how, wrap] of wrappings) {
        it(`S3UploadError of s3Writable() with a caller's client that wraps the AWS error ${how} (${bucket === 'b' ? 'SignatureDoesNotMatch' : 'ExpiredToken'})`, async () => {
          const client = new S3Client({ region: 'us-east-1', endpoint, forcePathStyle: true, credentials, maxAttempts: 1 })
          client.middlewareStack.add((next) => async (args) => {
            try { return await next(args) } catch (err) { throw wrap(err) }
          }, { step: 'initialize', name: 'wrapErrors' })
          try {
            const sink = s3Writable({ bucket, client })
            const err = await pipeline(source([{ n: 1 }]), minuteWindow({ clock: manualClock() }), gzip(), sink).catch((e: unknown) => e)
            expect(err).to.include({ code: 'ERR_S3_UPLOAD' })
            expectNoSecrets(err)
            for (const [rendering, text] of Object.entries(renderings(err))) expect(text.includes(KEY_ID), `${rendering} shows the access key id`).to.equal(false)
            // The chain is kept, cleaned: what failed is still said, at its depth.
            const shown = inspect(err, { depth: Infinity })
            expect(shown).to.include('send failed')
            expect(shown).to.include(bucket === 'b' ? 'SignatureDoesNotMatch' : 'ExpiredToken')
            expect((err as Error).cause).to.be.instanceOf(Error).and.include({ message: 'send failed' })
          } finally {
            client.destroy()
          }
        })
      }
    }
  })
})
