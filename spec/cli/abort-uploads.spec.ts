import { expect } from 'chai'
import { AbortMultipartUploadCommand, ListMultipartUploadsCommand, S3Client } from '@aws-sdk/client-s3'
import { mockClient, type AwsClientStub } from 'aws-sdk-client-mock'
import { cliOutput as cli } from '../helpers/cli-run.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'

const HOUR = 3_600_000
const SECRET = 'abort-uploads-secret-key'

const connection = ['--region', 'us-east-1', '--access-key-id', 'AK', '--secret-access-key', SECRET]

describe('s3-sink abort-uploads', () => {
  describe('against a store that lists uploads (the S3 API stubbed: s3rver cannot list them)', () => {
    let mock: AwsClientStub<S3Client>
    beforeEach(() => {
      mock = mockClient(S3Client)
      const now = Date.now()
      mock.on(ListMultipartUploadsCommand).resolves({
        Uploads: [
          { Key: 'runs/old', UploadId: 'u-old', Initiated: new Date(now - 30 * HOUR) },
          { Key: 'runs/new', UploadId: 'u-new', Initiated: new Date(now - HOUR) },
          // 50 h, not 48: --older-than=2d's cutoff is taken a few ms after `now`, and an upload exactly 2 d old
          // counts only if a millisecond passed in between (the spec failed once in CI when none did).
          { Key: 'runs/broken', UploadId: 'u-broken', Initiated: new Date(now - 50 * HOUR) }
        ]
      })
      mock.on(AbortMultipartUploadCommand).resolves({})
    })
    afterEach(() => { mock.restore() })

    it('aborts the uploads under --prefix started over --older-than ago, prints each and a summary, exits 0', async () => {
      const res = await cli(['abort-uploads', '--bucket', 'logs', '--prefix', 'runs', '--older-than', '1d', ...connection])
      expect(res.code, res.stderr).to.equal(0)
      expect(mock.commandCalls(ListMultipartUploadsCommand)[0]!.args[0].input).to.include({ Bucket: 'logs', Prefix: 'runs/' })
      expect(mock.commandCalls(AbortMultipartUploadCommand).map((c) => c.args[0].input.UploadId)).to.deep.equal(['u-old', 'u-broken'])
      expect(res.stdout).to.match(/^aborted {2}\S+Z {2}runs\/old {2}u-old$/m)
      expect(res.stdout).to.match(/^s3-sink abort-uploads: aborted 2 upload\(s\) started over 1d ago under s3:\/\/logs\/runs\/$/m)
      expect(res.stdout).not.to.include('runs/new')
      expect(res.stdout + res.stderr).not.to.include(SECRET)
    })

    it('--dry-run lists what it would abort and sends no abort', async () => {
      const res = await cli(['abort-uploads', '--bucket', 'logs', '--older-than=2d', '--dry-run', ...connection])
      expect(res.code, res.stderr).to.equal(0)
      expect(mock.commandCalls(AbortMultipartUploadCommand)).to.have.length(0)
      expect(res.stdout).to.match(/^would abort {2}\S+ {2}runs\/broken {2}u-broken$/m)
      expect(res.stdout).to.match(/would abort 1 upload\(s\)/)
    })

    it('exits 1 when an abort fails, naming it; the others are aborted', async () => {
      mock.on(AbortMultipartUploadCommand, { UploadId: 'u-broken' }).rejects(Object.assign(new Error('Access Denied'), { name: 'AccessDenied' }))
      const res = await cli(['abort-uploads', '--bucket', 'logs', '--older-than', '1d', ...connection])
      expect(res.code).to.equal(1)
      expect(res.stdout).to.match(/^failed {2}\S+ {2}runs\/broken {2}u-broken: .*Access Denied/m)
      expect(res.stdout).to.match(/aborted 1 upload\(s\).*; 1 abort\(s\) failed$/m)
    })

    it('--older-than 0: every upload started until now, said on purpose', async () => {
      const res = await cli(['abort-uploads', '--bucket', 'logs', '--older-than', '0', ...connection])
      expect(res.code, res.stderr).to.equal(0)
      expect(mock.commandCalls(AbortMultipartUploadCommand)).to.have.length(3)
      expect(res.stdout).to.match(/aborted 3 upload\(s\) started until now under s3:\/\/logs\/$/m)
    })
  })

  describe('against s3rver, which cannot list multipart uploads', () => {
    let s3: LocalS3
    before(async () => {
      s3 = await startS3rver()
      await s3.createBucket('logs')
    })
    after(async () => { await s3.close() })

    it('exits 1 saying the listing failed, without the secret', async () => {
      const res = await cli(['abort-uploads', '--bucket', 'logs', '--endpoint', s3.endpoint, '--force-path-style', '--older-than', '1d', ...connection, '--max-attempts', '1'])
      expect(res.code, res.stdout + res.stderr).to.equal(1)
      expect(res.stdout).to.match(/^s3-sink abort-uploads: listing the uploads of s3:\/\/logs\/ failed: /m)
      expect(res.stdout + res.stderr).not.to.include(SECRET)
    })
  })

  it('exits 2 naming the flag for a usage error, never echoing a value', async () => {
    for (const [argv, flag] of [
      [['--bucket', 'logs'], '--older-than is required'],
      [['--bucket', 'logs', '--older-than', '3 fortnights'], '--older-than must be a duration'],
      [['--bucket', 'logs', '--older-than'], '--older-than needs a value'],
      [['--bucket', 'logs', '--older-than', '1d', '--older-than', '2d'], '--older-than is given twice'],
      [['--bucket', 'logs', '--older-than', '1d', '--dry-run=yes'], '--dry-run takes no value'],
      [['--bucket', 'logs', '--older-than', '1d', '--window-ms', '5'], '--window-ms is not an abort-uploads option'],
      [['--bucket', 'logs', '--older-than', '1d', '--concurrency', '0'], '--concurrency'],
      [['--bucket', 'logs', '--older-than', '1d', '--prefix', 'a//b'], '--prefix must not'],
      [['--older-than', '1d'], '--bucket is required'],
      [['--bucket', 'logs', '--older-than', '1d', 'file.ndjson'], 'reads no files']
    ] as const) {
      const res = await cli(['abort-uploads', ...argv, ...connection])
      expect(res.code, `${argv.join(' ')}: ${res.stderr}`).to.equal(2)
      expect(res.stderr, argv.join(' ')).to.include(flag).and.not.to.include('options.').and.not.to.include('fortnights')
    }
  })

  it('--help prints the usage, which names the command', async () => {
    const res = await cli(['abort-uploads', '--help', '--older-than', '1d'])
    expect(res.code).to.equal(0)
    expect(res.stdout).to.include('s3-sink abort-uploads --bucket NAME --older-than DURATION')
  })
})
