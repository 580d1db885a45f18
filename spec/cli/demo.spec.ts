import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

describe('npm run demo (examples/demo.ts)', function () {
  // A child process with tsx, the SDK and an embedded S3 server: seconds, more on a busy machine.
  this.timeout(60_000)

  it('runs both sinks against the embedded server, prints the landed keys and exits 0', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'examples/demo.ts'], { cwd: ROOT })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (t: string) => { stdout += t })
    child.stderr.setEncoding('utf8').on('data', (t: string) => { stderr += t })
    const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
    expect(code, stderr).to.equal(0)
    expect(stderr).to.equal('')
    expect(stdout).to.match(/per-Run sink: +1000 Runs in, 600 objects/)
    // Three objects of up to 2,000 records; a fourth if the run straddles a minute boundary.
    expect(stdout).to.match(/batched sink: +5000 Runs in, 4500 records \(failed Runs skipped\) in [34] gzipped NDJSON objects/)
    expect(stdout).to.match(/60[34] keys landed:/)
    expect(stdout).to.match(/per-run\/search\/ +301/)
    expect(stdout).to.match(/^ {2}per-run\/detail\/run-00001\.json$/m)
    expect(stdout).to.match(/^ {2}batched\/\d{4}\/\d\d\/\d\d\/\d\d\/[\d-]{19}-[0-9a-f]{64}\.gz$/m)
    expect(stdout).to.include('"runId": "run-00001"')
    expect(stdout).to.match(/\(gunzipped: \d+ NDJSON lines, first 3\):\n {2}\{"apiInfo":\{"name":"(search|detail|reviews)"/)
  })
})
