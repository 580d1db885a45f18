import { expect } from 'chai'
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { Readable } from 'node:stream'
import { gunzipSync } from 'node:zlib'
import { runCli } from '../../lib/cli/run.js'
import { manualClock } from '../helpers/manual-clock.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { run } from '../helpers/streams.js'

interface Result { code: number, stdout: string, stderr: string }

async function cli (argv: string[], options: { stdin?: string, env?: NodeJS.ProcessEnv, signal?: AbortSignal } = {}): Promise<Result> {
  let stdout = ''
  let stderr = ''
  const code = await runCli(argv, {
    stdin: Readable.from([Buffer.from(options.stdin ?? '')]),
    stdout: { write: (t: string) => { stdout += t } },
    stderr: { write: (t: string) => { stderr += t }, isTTY: false },
    env: options.env ?? {},
    signal: options.signal,
    // Windows close only at the end of the input: object counts do not depend on the minute.
    clock: manualClock()
  })
  return { code, stdout, stderr }
}

async function files (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath ?? e.path, e.name))).sort()
}

const SUMMARY = /^s3-sink: (\d+) records read, (\d+) delivered, (\d+) objects?, (\d+) bytes stored, [\d.]+ s$/m
const runs = Array.from({ length: 60 }, (_, i) => run(i, `api${i % 3}`, i % 4 === 0))
const ndjson = runs.map((r) => JSON.stringify(r)).join('\n') + '\n'

describe('runCli()', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'cli-run-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  describe('with --out-dir', () => {
    it('writes gzipped batches that hold the input lines byte for byte', async () => {
      // Spacing and number formats of the input survive: lines are never re-serialized.
      const input = '{ "apiInfo": {"name": "a"}, "price": 1.50 }\r\n\n' + ndjson
      const out = join(dir, 'out')
      const res = await cli(['--out-dir', out, '--prefix', 'runs/', '--max-records', '25'], { stdin: input })
      expect(res.code, res.stderr).to.equal(0)
      const names = await files(out)
      expect(names).to.have.length(3)
      expect(names.every((n) => n.startsWith('runs/') && n.endsWith('.gz'))).to.equal(true)
      const lines: string[] = []
      for (const name of names) lines.push(...gunzipSync(await readFile(join(out, name))).toString().split('\n').filter(Boolean))
      expect(lines.sort()).to.deep.equal(['{ "apiInfo": {"name": "a"}, "price": 1.50 }', ...ndjson.split('\n').filter(Boolean)].sort())
      expect(SUMMARY.exec(res.stderr)?.slice(1, 4)).to.deep.equal(['61', '61', '3'])
    })

    it('honours --apis-to-send and --skip-on-fail, and --no-gzip', async () => {
      const out = join(dir, 'out')
      const res = await cli(['--out-dir', out, '--apis-to-send', 'api1,api2', '--skip-on-fail', '--no-gzip'], { stdin: ndjson })
      expect(res.code, res.stderr).to.equal(0)
      const [name] = await files(out)
      expect(name).to.match(/\.ndjson$/)
      const got = (await readFile(join(out, name as string), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l))
      const expected = runs.filter((r: any) => r.apiInfo.name !== 'api0' && r.apiInfo.result.status !== 'failed')
      expect(got).to.deep.equal(expected)
      // What the filter left out is counted, by reason (the API first, then failure).
      const api = runs.filter((r: any) => r.apiInfo.name === 'api0').length
      const failed = runs.length - api - expected.length
      const counts = new RegExp(`^s3-sink: (\\d+) records read, (\\d+) delivered, .*, [\\d.]+ s, ${api} records filtered out by --apis-to-send, ${failed} failed Runs? filtered out by --skip-on-fail$`, 'm')
      expect(counts.exec(res.stderr)?.slice(1, 3), res.stderr).to.deep.equal(['60', String(expected.length)])
    })

    it('writes one .json file per Run with --per-record, at the per-Run sink\'s keys', async () => {
      const out = join(dir, 'out')
      const res = await cli(['--out-dir', out, '--per-record', '--prefix', 'p', '--apis-to-send', 'api0'], { stdin: ndjson })
      expect(res.code, res.stderr).to.equal(0)
      const names = await files(out)
      expect(names).to.have.length(20)
      expect(names).to.include('p/api0/run-3.json')
      // A Run without a runId gets the per-Run sink's timestamped fallback key.
      const noId = await cli(['--out-dir', join(dir, 'noid'), '--per-record'], { stdin: '{"apiInfo":{"name":"x"}}\n' })
      expect(noId.code, noId.stderr).to.equal(0)
      expect(await files(join(dir, 'noid'))).to.satisfy((n: string[]) => n.length === 1 && /^x\/2026\/11\/25\/14\/2026-11-25-14-03-07-[0-9a-f]{64}\.json$/.test(n[0] as string))
      expect(JSON.parse(await readFile(join(out, 'p/api0/run-3.json'), 'utf8'))).to.deep.equal(run(3, 'api0', false))
    })

    it('reads several files and standard input in order, numbering lines per file', async () => {
      const a = join(dir, 'a.ndjson')
      await writeFile(a, '{"n":1}\n{"n":2}\n')
      const out = join(dir, 'out')
      const res = await cli(['--out-dir', out, '--no-gzip', a, '-'], { stdin: '{"n":3}\n' })
      expect(res.code, res.stderr).to.equal(0)
      const [name] = await files(out)
      expect(await readFile(join(out, name as string), 'utf8')).to.equal('{"n":1}\n{"n":2}\n{"n":3}\n')
      const bad = await cli(['--out-dir', out, a, '-'], { stdin: '{"n":3}\nnope\n' })
      expect(bad.stderr).to.include('<stdin>:2: invalid JSON')
    })

    it('fails with exit code 1 on a bad line, naming file and line, and leaves no object', async () => {
      const input = join(dir, 'in.ndjson')
      await writeFile(input, '{"n":1}\n\n{"n":2}\n{"n":\n{"n":4}\n')
      const out = join(dir, 'out')
      const res = await cli(['--out-dir', out, input])
      expect(res.code).to.equal(1)
      expect(res.stderr).to.include(`s3-sink: ERR_RECORD_PARSE: ${input}:4: invalid JSON`)
      expect(res.stderr).to.match(SUMMARY)
      expect(await files(out)).to.deep.equal([])
    })
  })

  describe('usage errors', () => {
    it('exit with code 2 and a clear message, never echoing a secret', async () => {
      const secret = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRET'
      const cases: Array<[string[], string]> = [
        [['--bucket', 'b', '--region', 'r', '--window-ms', '0'], '--window-ms must be between 1'],
        [['--bucket', 'b', '--region', 'r', '--gzip-level', '12'], '--gzip-level must be between 0 and 9'],
        [['--bucket', 'b', '--region', 'r', '--part-size', '1MiB'], '--part-size must be between'],
        [['--bucket', 'b', '--region', 'r', '--prefix', '/abs'], '--prefix must not start with "/"'],
        [['--bucket', 'b', '--region', 'r', '--endpoint', 'ftp://x'], '--endpoint must be an http:// or https:// URL'],
        [['--bucket', 'b', '--region', 'r', '--per-record', '--concurrency', '0'], '--concurrency'],
        [['--bucket', 'b', '--region', 'r', '--secret-access-key', secret], '--access-key-id is required when the other half'],
        [['--bucket', 'b', '--region', 'r', `--secret-key=${secret}`], "--secret-key is not a known option (see --help)\nTry 's3-sink --help'."],
        [['--out-dir', dir, join(dir, 'missing.ndjson')], 'cannot read'],
        [['--bucket', 'b'], '--region is required']
      ]
      for (const [argv, message] of cases) {
        const res = await cli(argv, { env: { AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'envsecretvalue' } })
        expect(res.code, argv.join(' ')).to.equal(2)
        expect(res.stderr).to.include(`s3-sink: ${message}`)
        expect(res.stderr).not.to.include(secret)
        expect(res.stderr).not.to.include('envsecretvalue')
      }
    })

    it('--help prints the usage on stdout and exits 0', async () => {
      const res = await cli(['--help'])
      expect(res.code).to.equal(0)
      expect(res.stdout).to.match(/^Usage: s3-sink/)
      for (const flag of ['--bucket', '--out-dir', '--per-record', '--apis-to-send', '--skip-on-fail', '--window-ms', '--no-gzip', '--force-path-style']) {
        expect(res.stdout).to.include(flag)
      }
      expect(res.stderr).to.equal('')
    })
  })

  describe('against S3', () => {
    let s3: LocalS3
    before(async () => {
      s3 = await startS3rver()
      await s3.createBucket('cli-bucket')
    })
    after(async () => { await s3.close() })

    const env = (): NodeJS.ProcessEnv => ({
      AWS_ACCESS_KEY_ID: s3.config.accessKeyId,
      AWS_SECRET_ACCESS_KEY: s3.config.secretAccessKey,
      AWS_REGION: s3.config.region,
      AWS_ENDPOINT_URL_S3: s3.endpoint
    })

    it('uploads gzipped batches whose records equal the input', async () => {
      const res = await cli(['--bucket', 'cli-bucket', '--force-path-style', '--prefix', 'batched', '--max-records', '40'], { stdin: ndjson, env: env() })
      expect(res.code, res.stderr).to.equal(0)
      const keys = await s3.listKeys('cli-bucket', 'batched/')
      expect(keys).to.have.length(2)
      const { contentEncoding, contentType } = await s3.getObject('cli-bucket', keys[0] as string)
      expect({ contentEncoding, contentType }).to.deep.equal({ contentEncoding: 'gzip', contentType: 'application/x-ndjson' })
      const page = (r: any): number => r.apiInfo.parameters.page
      expect((await s3.readRecords('cli-bucket', 'batched/')).sort((a, b) => page(a) - page(b))).to.deep.equal(runs)
      expect(SUMMARY.exec(res.stderr)?.slice(1, 4)).to.deep.equal(['60', '60', '2'])
    })

    it('uploads one object per Run with --per-record', async () => {
      const res = await cli(['--bucket', 'cli-bucket', '--force-path-style', '--prefix', 'runs', '--per-record', '--skip-on-fail'], { stdin: ndjson, env: env() })
      expect(res.code, res.stderr).to.equal(0)
      const keys = await s3.listKeys('cli-bucket', 'runs/')
      expect(keys).to.have.length(45)
      expect(keys).to.include('runs/api1/run-1.json')
      const { body, contentType } = await s3.getObject('cli-bucket', 'runs/api1/run-1.json')
      expect(contentType).to.equal('application/json')
      expect(JSON.parse(body.toString())).to.deep.equal(runs[1])
    })

    it('exits 1 with the error code and key when an upload fails', async () => {
      const res = await cli(['--bucket', 'no-such-bucket', '--force-path-style', '--prefix', 'x'], { stdin: ndjson, env: env() })
      expect(res.code).to.equal(1)
      expect(res.stderr).to.match(/s3-sink: ERR_S3_UPLOAD: upload of s3:\/\/no-such-bucket\/x\/\d{4}\/.+\.gz failed: NoSuchBucket/)
      expect(SUMMARY.exec(res.stderr)?.slice(1, 3)).to.deep.equal(['60', '0'])
    })

    it('stops cleanly with exit code 130 when interrupted, 128 + the number of a signal named as the reason', async () => {
      const controller = new AbortController()
      controller.abort()
      const res = await cli(['--bucket', 'cli-bucket', '--force-path-style'], { stdin: ndjson, env: env(), signal: controller.signal })
      expect(res.code).to.equal(130)
      expect(res.stderr).to.include('interrupted')
      const term = await cli(['--bucket', 'cli-bucket', '--force-path-style'], { stdin: ndjson, env: env(), signal: AbortSignal.abort('SIGTERM') })
      expect(term.code).to.equal(143)
    })
  })
})
