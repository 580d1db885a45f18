import { expect } from 'chai'
import { Readable } from 'node:stream'
import { HeadObjectCommand } from '@aws-sdk/client-s3'
import { runCli } from '../../lib/cli/run.js'
import { startFaultProxy, type FaultProxy, type RequestKind } from '../helpers/fault-proxy.js'
import { manualClock } from '../helpers/manual-clock.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { run } from '../helpers/streams.js'

const BUCKET = 'cli-params'
const ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' }
const PARAMS = ['--storage-class', 'STANDARD_IA', '--sse', 'aws:kms', '--sse-kms-key-id', 'alias/sink-key', '--tag', 'team=data', '--tag', 'env=prod one',
  '--metadata', 'owner=ops', '--metadata', 'source=cli', '--content-type', 'application/vnd.runs+json']
/** The requests that carry an object's parameters: the object's own PutObject, or the start of its multipart upload. */
const CREATES: readonly RequestKind[] = ['PutObject', 'CreateMultipartUpload']

describe('s3-sink object parameter flags reach S3', function () {
  this.timeout(20_000)
  let s3: LocalS3
  let proxy: FaultProxy
  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket(BUCKET)
    // No faults: the proxy only records what each request asked of the store.
    proxy = await startFaultProxy({ target: s3.endpoint, choose: () => null })
  })
  after(async () => {
    await proxy.close()
    await s3.close()
  })

  async function deliver (flags: string[], input: string): Promise<void> {
    let stderr = ''
    const code = await runCli(['--bucket', BUCKET, '--endpoint', proxy.endpoint, '--force-path-style', ...PARAMS, ...flags], {
      stdin: Readable.from([Buffer.from(input)]),
      stdout: { write: () => {} },
      stderr: { write: (t: string) => { stderr += t } },
      env: ENV,
      clock: manualClock()
    })
    expect(code, stderr).to.equal(0)
  }

  /** What s3rver keeps (type, storage class, metadata), and what the request asked for that s3rver drops (tags, encryption). */
  async function expectParams (prefix: string, contentType = 'application/vnd.runs+json'): Promise<number> {
    const keys = await s3.listKeys(BUCKET, prefix)
    expect(keys).to.not.deep.equal([])
    for (const key of keys) {
      const head = await s3.client.send(new HeadObjectCommand({ Bucket: BUCKET, Key: key }))
      expect([head.ContentType, head.StorageClass, head.Metadata], key).to.deep.equal([contentType, 'STANDARD_IA', { owner: 'ops', source: 'cli' }])
      const creates = proxy.events.filter((e) => CREATES.includes(e.kind) && decodeURIComponent(new URL(e.url, 'http://x').pathname) === `/${BUCKET}/${key}`)
      expect(creates, key).to.have.length(1)
      const { headers } = creates[0]!
      expect(new URLSearchParams(String(headers['x-amz-tagging'])).toString(), key).to.equal('team=data&env=prod+one')
      expect([headers['x-amz-server-side-encryption'], headers['x-amz-server-side-encryption-aws-kms-key-id']], key).to.deep.equal(['aws:kms', 'alias/sink-key'])
    }
    return keys.length
  }

  const lines = (count: number, extra: object = {}): string => Array.from({ length: count }, (_, i) => `${JSON.stringify({ ...run(i, 'api0'), ...extra })}\n`).join('')

  it('batched: every object, by PutObject', async () => {
    await deliver(['--prefix', 'batched/', '--max-records', '10'], lines(25))
    expect(await expectParams('batched/')).to.equal(3)
  })

  it('batched: an object above the part size, by multipart upload', async () => {
    const pad = 'x'.repeat(100 * 1024)
    await deliver(['--prefix', 'multipart/', '--no-gzip'], lines(56, { pad }))
    expect(await expectParams('multipart/')).to.equal(1)
    expect(proxy.count('UploadPart')).to.equal(2)
  })

  it('--per-record: every Run\'s object', async () => {
    await deliver(['--prefix', 'runs/', '--per-record'], lines(4))
    expect(await expectParams('runs/')).to.equal(4)
  })
})
