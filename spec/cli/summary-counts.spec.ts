import { expect } from 'chai'
import { cliRun as cli } from '../helpers/cli-run.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { run } from '../helpers/streams.js'

// Nothing left out silently: every record read that is not delivered is
// counted in the summary under what left it out.

const S3 = ['--store', 'custom', '--access-key-id', 'S3RVER', '--secret-access-key', 'S3RVER']
/** Runs 0 - 11 (api0, api1, api2 in turn; 0 and 4 failed) and one line that is not JSON. */
const LINES = [...Array.from({ length: 12 }, (_, i) => JSON.stringify(run(i, `api${i % 3}`, i === 0 || i === 4))), '{not json'].join('\n') + '\n'

describe('s3-sink\'s summary counts every record it left out', function () {
  this.timeout(30_000)
  let s3: LocalS3
  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket('counts')
  })
  after(async () => { await s3.close() })

  it('filtered out by --apis-to-send and --skip-on-fail, dropped by --unmatched drop, skipped by --on-invalid skip: read = delivered + each', async () => {
    const res = await cli(['--bucket', 'counts', '--endpoint', s3.endpoint, ...S3, '--prefix', 'all', '--apis-to-send', 'api0', '--apis-to-send', 'api1', '--skip-on-fail',
      '--route', 'zero:when=apiInfo.name=api0,prefix=zero/', '--unmatched', 'drop', '--on-invalid', 'skip'], LINES)
    expect(res.code, res.stderr).to.equal(0)
    // 13 read = 3 delivered (api0 but the failed 0) + 4 of api2 + 2 failed + 3 of api1 no route took + 1 invalid line.
    expect(res.stderr.split('\n')[0]).to.match(/^s3-sink: 13 records read, 3 delivered, 1 object, \d+ bytes stored, \d+\.\d s, 1 invalid line skipped, 4 records filtered out by --apis-to-send, 2 failed Runs filtered out by --skip-on-fail, 3 unmatched records dropped \(--unmatched drop\)$/)
    const stored = (await s3.readRecords('counts', 'all/')) as Array<{ apiInfo: { runId: string } }>
    expect(stored.map((r) => r.apiInfo.runId).sort()).to.deep.equal(['run-3', 'run-6', 'run-9'])
  })

  it('per Run too: what the filter leaves out is counted', async () => {
    const res = await cli(['--bucket', 'counts', '--endpoint', s3.endpoint, ...S3, '--prefix', 'per-run', '--per-record', '--apis-to-send', 'api2', '--on-invalid', 'skip'], LINES)
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stderr.split('\n')[0]).to.match(/^s3-sink: 13 records read, 4 delivered, 4 objects, .*, 1 invalid line skipped, 8 records filtered out by --apis-to-send$/)
    expect(await s3.listKeys('counts', 'per-run/')).to.have.length(4)
  })

  it('a run that leaves nothing out says nothing more', async () => {
    const res = await cli(['--bucket', 'counts', '--endpoint', s3.endpoint, ...S3, '--prefix', 'none'], LINES.split('\n').slice(0, 12).join('\n') + '\n')
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stderr).to.match(/^s3-sink: 12 records read, 12 delivered, 1 object, \d+ bytes stored, \d+\.\d s\n$/)
  })
})
