import { expect } from 'chai'
import { doctor } from '../../lib/admin/doctor.js'
import { InvalidOptionError } from '../../lib/errors.js'
import { cliOutput as cli } from '../helpers/cli-run.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'

describe('doctor()', () => {
  let s3: LocalS3
  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket('doctor')
  })
  after(async () => { await s3.close() })

  it('reports what s3rver lacks instead of crashing, and cleans up its objects', async () => {
    const report = await doctor({ ...s3.config, bucket: 'doctor', store: 'custom', prefix: 'probe' })
    const status = Object.fromEntries(report.probes.map((p) => [p.name, p.status]))
    expect(status).to.deep.equal({
      HeadBucket: 'ok',
      'PutObject with checksum headers': 'ok',
      'PutObject without checksum headers': 'ok',
      'Multipart upload, 2 parts': 'ok',
      // s3rver ignores conditional headers, answers 501 to the listing and 405 to Abort.
      'Conditional PutObject (If-None-Match: *)': 'ignored',
      ListMultipartUploads: 'failed',
      AbortMultipartUpload: 'failed',
      Cleanup: 'ok'
    })
    expect(report.problems).to.deep.equal([])
    expect(report.fits).to.deep.equal(['gcs', 'b2', 'ceph', 'custom'])
    expect(report.warnings.join('\n')).to.match(/AbortMultipartUpload/).and.match(/ListMultipartUploads/)
    expect(await s3.listKeys('doctor')).to.deep.equal([])
  })

  it('says the aws profile would fail where conditional writes are not enforced', async () => {
    const report = await doctor({ ...s3.config, bucket: 'doctor' })
    expect(report.store).to.equal('aws')
    expect(report.problems).to.have.length(1)
    expect(report.problems[0]).to.match(/conditional writes/)
  })

  it('a missing bucket: HeadBucket fails, the rest is skipped, nothing throws', async () => {
    const report = await doctor({ ...s3.config, bucket: 'no-such-bucket', store: 'custom' })
    expect(report.probes[0]!.status).to.equal('failed')
    expect(report.probes.slice(1).every((p) => p.status === 'skipped')).to.equal(true)
    expect(report.problems).to.deep.equal(['the bucket cannot be reached (HeadBucket)'])
    expect(report.fits).to.deep.equal([])
    expect(report.warnings).to.deep.equal([])
  })

  it('validates its options synchronously enough: a bad one rejects naming it', async () => {
    for (const [options, option] of [
      [{ ...s3.config }, 'options.bucket'],
      [{ ...s3.config, bucket: 'doctor', store: 'azure' }, 'options.store'],
      [{ ...s3.config, bucket: 'doctor', buckt: 'x' }, 'options.buckt'],
      [{ bucket: 'doctor', store: 'r2' }, 'options.endpoint']
    ] as const) {
      const err = await doctor(options as never).then(() => null, (e: unknown) => e)
      expect(err, option).to.be.instanceOf(InvalidOptionError).with.property('option', option)
    }
  })

  describe('s3-sink doctor', () => {
    it('prints a table and exits 0 when the chosen store works', async () => {
      const res = await cli(['doctor', '--bucket', 'doctor', '--endpoint', s3.endpoint, '--store', 'custom', '--access-key-id', 'S3RVER', '--secret-access-key', 'S3RVER'])
      expect(res.code, res.stdout + res.stderr).to.equal(0)
      expect(res.stdout).to.match(/^s3-sink doctor: s3:\/\/doctor with store "custom"$/m)
      expect(res.stdout).to.match(/^ {2}HeadBucket +ok +bucket reachable$/m)
      expect(res.stdout).to.match(/^ {2}AbortMultipartUpload +failed +MethodNotAllowed/m)
      expect(res.stdout).to.match(/^profiles that fit: gcs, b2, ceph, custom$/m)
      expect(res.stdout).to.match(/^verdict: store "custom" works here$/m)
      expect(res.stdout).not.to.include('S3RVER')
    })

    it('exits 1 when the chosen store would fail, and suggests one that fits', async () => {
      const res = await cli(['doctor', '--bucket', 'doctor', '--endpoint', s3.endpoint, '--force-path-style', '--region', 'us-east-1'],
        { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' })
      expect(res.code).to.equal(1)
      expect(res.stdout).to.match(/^problem: .*conditional writes/m)
      expect(res.stdout).to.match(/try --store custom$/m)
    })

    it('exits 2 for a flag the doctor does not take, a bad store or a bad prefix, naming the flag', async () => {
      for (const [argv, flag] of [
        [['doctor', '--bucket', 'doctor', '--window-ms', '5'], '--window-ms'],
        [['doctor', '--bucket', 'doctor', '--store', 'azure', '--region', 'x'], '--store'],
        [['doctor', '--bucket', 'doctor', '--region', 'x', '--prefix', 'a//b'], '--prefix must not']
      ] as const) {
        const res = await cli([...argv])
        expect(res.code).to.equal(2)
        expect(res.stderr).to.include(flag).and.not.to.include('options.')
      }
    })
  })
})
