import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { run } from '../helpers/streams.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))

interface Result { code: number | null, stdout: string, stderr: string }

/** `node --import tsx lib/cli/main.ts ...argv`, as a user would run it, with no AWS_* of the caller's. */
async function s3Sink (argv: string[], options: { stdin?: string, env?: NodeJS.ProcessEnv } = {}): Promise<Result> {
  const env: NodeJS.ProcessEnv = {}
  // The SDK's Node 20 warning stays silenced as in every spec (spec/helpers/setup.ts).
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AWS_') || name === 'AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED') env[name] = value
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...argv], { cwd: ROOT, env: { ...env, ...options.env } })
  let stdout = ''
  let stderr = ''
  child.stdout.setEncoding('utf8').on('data', (t: string) => { stdout += t })
  child.stderr.setEncoding('utf8').on('data', (t: string) => { stderr += t })
  child.stdin.end(options.stdin ?? '')
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve))
  return { code, stdout, stderr }
}

const runs = Array.from({ length: 300 }, (_, i) => run(i, `api${i % 3}`, i % 5 === 0))
const ndjson = runs.map((r) => JSON.stringify(r)).join('\n') + '\n'

describe('s3-sink (child process)', function () {
  // Each child loads tsx and the SDK: about a second, more on a busy machine.
  this.timeout(30_000)
  let dir: string
  before(async () => { dir = await mkdtemp(join(tmpdir(), 'cli-main-')) })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('--help prints the usage and exits 0; an unknown flag exits 2', async () => {
    const [help, unknown] = await Promise.all([s3Sink(['--help']), s3Sink(['--bucket', 'b', '--bogus'])])
    expect(help.code).to.equal(0)
    expect(help.stdout).to.match(/^Usage: s3-sink \[options\] \[file \.\.\.\]/)
    expect(unknown.code).to.equal(2)
    expect(unknown.stderr).to.equal("s3-sink: --bogus is not a known option (see --help)\nTry 's3-sink --help'.\n")
  })

  it('--out-dir: files under the keys, gunzipping to the input; a bad line exits 1 with its line number', async () => {
    const input = join(dir, 'runs.ndjson')
    await writeFile(input, ndjson.replaceAll('\n', '\r\n'))
    const bad = join(dir, 'bad.ndjson')
    await writeFile(bad, '{"ok":1}\n{"ok":2}\n{"ok":\n')
    const out = join(dir, 'out')
    const [good, failed] = await Promise.all([
      // The longest window a timer can hold (~24.8 days): the run cannot straddle a window boundary.
      s3Sink(['--out-dir', out, '--prefix', 'local', '--apis-to-send', 'api0,api1', '--window-ms', '2147483647', input]),
      s3Sink(['--out-dir', join(dir, 'bad-out'), bad])
    ])
    expect(good.code, good.stderr).to.equal(0)
    const entries = await readdir(out, { recursive: true, withFileTypes: true })
    const names = entries.filter((e) => e.isFile()).map((e) => relative(out, join(e.parentPath ?? e.path, e.name)))
    expect(names).to.have.length(1)
    expect(names[0]).to.match(/^local\/\d{4}\/\d\d\/\d\d\/\d\d\/[\d-]{19}-[0-9a-f]{64}\.gz$/)
    const lines = gunzipSync(await readFile(join(out, names[0] as string))).toString().split('\n').filter(Boolean)
    expect(lines.map((l) => JSON.parse(l))).to.deep.equal(runs.filter((r: any) => r.apiInfo.name !== 'api2'))
    expect(good.stderr).to.match(/^s3-sink: 300 records read, 200 delivered, 1 object, \d+ bytes stored, [\d.]+ s, 100 records filtered out by --apis-to-send\n$/)
    expect(failed.code).to.equal(1)
    expect(failed.stderr).to.include(`s3-sink: ERR_RECORD_PARSE: ${bad}:3: invalid JSON`)
  })

  describe('against S3', () => {
    let s3: LocalS3
    before(async () => {
      s3 = await startS3rver()
      await s3.createBucket('cli-main')
    })
    after(async () => { await s3.close() })

    it('delivers standard input as batches and, with --per-record, one object per Run', async () => {
      const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_DEFAULT_REGION: 'us-east-1' }
      const common = ['--bucket', 'cli-main', '--endpoint', s3.endpoint, '--force-path-style', '--skip-on-fail']
      const [batched, perRecord] = await Promise.all([
        s3Sink([...common, '--prefix', 'batched/', '--gzip-level', '1'], { stdin: ndjson, env }),
        s3Sink([...common, '--prefix', 'runs/', '--per-record', '--apis-to-send', 'api2'], { stdin: ndjson, env })
      ])
      expect(batched.code, batched.stderr).to.equal(0)
      expect(perRecord.code, perRecord.stderr).to.equal(0)
      const kept = runs.filter((r: any) => r.apiInfo.result.status !== 'failed')
      expect(await s3.readRecords('cli-main', 'batched/')).to.deep.equal(kept)
      const keys = await s3.listKeys('cli-main', 'runs/')
      const api2 = kept.filter((r: any) => r.apiInfo.name === 'api2')
      expect(keys).to.deep.equal(api2.map((r: any) => `runs/api2/${r.apiInfo.runId}.json`).sort())
      const { body } = await s3.getObject('cli-main', keys[0] as string)
      expect(JSON.parse(body.toString())).to.deep.equal(api2.find((r: any) => `runs/api2/${r.apiInfo.runId}.json` === keys[0]))
      expect(perRecord.stderr).to.match(new RegExp(`^s3-sink: 300 records read, ${api2.length} delivered, ${api2.length} objects?`))
    })
  })
})
