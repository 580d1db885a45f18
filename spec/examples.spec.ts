import { execFile } from 'node:child_process'
import { readdirSync } from 'node:fs'
import { promisify } from 'node:util'
import { expect } from 'chai'

const run = promisify(execFile)

/** What each example must print to show it worked. */
const expected: Record<string, RegExp> = {
  'batched-pipeline.ts': /\d+ objects, \d+ records filtered out/,
  'stages-to-files.ts': /5 files under /,
  'manifest.ts': /by-window\/_manifest\.json/,
  'per-run-sink.ts': /85 objects in the bucket \(redelivery replaced them\)/,
  'destination.ts': /even\/.*\.gz: 500 payloads/,
  'cleanup.ts': /abortIncompleteUploads\(/,
  'cli.ts': /2000 records read, 1714 delivered, 4 objects/,
  'durable-feed.ts': /replay from offset 200 rewrote 3 objects; the bucket still holds 10 \(same keys\)/
}

describe('examples/ run as documented', function () {
  this.timeout(60_000)
  const files = readdirSync(new URL('../examples/', import.meta.url)).filter((f) => f.endsWith('.ts') && f !== 'local-s3.ts' && f !== 'demo.ts') // demo.ts: spec/cli/demo.spec.ts

  it('every example has an expectation here', () => {
    expect(files.filter((f) => expected[f] === undefined)).to.deep.equal([])
  })

  for (const file of Object.keys(expected)) {
    it(`${file} exits 0 and shows its result`, async () => {
      const env = { ...process.env }
      for (const name of ['S3_ENDPOINT', 'S3_BUCKET', 'AWS_ACCESS_KEY_ID', 'AWS_SECRET_ACCESS_KEY']) delete env[name]
      const { stdout } = await run(process.execPath, ['--import', 'tsx', `examples/${file}`], { env, timeout: 50_000 })
      expect(stdout).to.match(expected[file]!)
    })
  }
})
