import { Readable } from 'node:stream'
import { expect } from 'chai'
import { runCli } from '../../lib/cli/run.js'
import { fastClock } from '../helpers/fast-clock.js'
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { run } from '../helpers/streams.js'

describe('s3-sink: retries (s3rver behind a fault proxy)', function () {
  this.timeout(20_000)
  let s3: LocalS3
  let proxy: FaultProxy
  const input = Array.from({ length: 10 }, (_, i) => JSON.stringify(run(i, 'api'))).join('\n') + '\n'

  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket('cli-retries')
  })
  after(async () => { await s3.close() })
  // Every PutObject fails once (500) before it goes through.
  beforeEach(async () => { proxy = await startFaultProxy({ target: s3.endpoint, choose: (r) => r.kind === 'PutObject' && r.attempt === 1 ? 'internalError' : null }) })
  afterEach(async () => { await proxy.close() })

  async function cli (argv: string[]): Promise<{ code: number, stderr: string }> {
    let stderr = ''
    const code = await runCli(['--bucket', 'cli-retries', '--endpoint', proxy.endpoint, '--force-path-style', '--region', 'us-east-1', ...argv], {
      stdin: Readable.from([Buffer.from(input)]),
      stdout: { write: () => {} },
      stderr: { write: (t: string) => { stderr += t }, isTTY: false },
      env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
      // Retry waits take no real time.
      clock: fastClock()
    })
    return { code, stderr }
  }

  it('retries failed requests by default and counts them in the summary', async () => {
    const res = await cli(['--per-record', '--prefix', 'ok/'])
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stderr).to.match(/10 records read, 10 delivered, 10 objects, \d+ bytes stored, [\d.]+ s, 10 retries$/m)
    expect(await s3.listKeys('cli-retries', 'ok/')).to.have.length(10)
  })

  it('--retry-for 0 turns the retries off: the first failure fails the run', async () => {
    const res = await cli(['--per-record', '--prefix', 'off/', '--retry-for', '0'])
    expect(res.code).to.equal(1)
    expect(res.stderr).to.include('ERR_S3_UPLOAD').and.include('InternalError')
  })
})
