import { expect } from 'chai'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { parseCliArgs } from '../../lib/cli/args.js'
import { cliRun } from '../helpers/cli-run.js'
import { manualClock } from '../helpers/manual-clock.js'

// The CLI at parity with the library: the same refusal of non-object lines in
// both modes, --on-invalid, object params, hints for mistyped flags.

/** Windows close only at the end of the input. */
const cli = async (argv: string[], stdin: string): Promise<{ code: number, stderr: string }> => await cliRun(argv, stdin, manualClock())

async function lines (dir: string, under = ''): Promise<string[]> {
  const entries = await readdir(join(dir, under), { recursive: true, withFileTypes: true }).catch(() => [])
  const out: string[] = []
  for (const e of entries.filter((x) => x.isFile())) {
    const path = join(e.parentPath, e.name)
    const body = await readFile(path)
    out.push(...(path.endsWith('.gz') ? gunzipSync(body) : body).toString().split('\n').filter(Boolean).map((l) => `${relative(dir, path).split('/')[0]}:${l}`))
  }
  return out.sort()
}

const INPUT = '{"a":1}\n42\n[1,2]\nnull\n"x"\n{"a":2}\nnot json\n'

describe('s3-sink parity with the library', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'cli-parity-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  for (const mode of [[], ['--per-record']]) {
    it(`refuses a line that is not a JSON object${mode.length > 0 ? ' with --per-record' : ' in batched mode'}, naming file and line`, async () => {
      const res = await cli(['--out-dir', dir, ...mode], INPUT)
      expect(res.code).to.not.equal(0)
      expect(res.stderr).to.include('ERR_RECORD_PARSE: <stdin>:2: a record must be a JSON object, got 42')
    })

    it(`--on-invalid skip delivers the objects and counts the rest${mode.length > 0 ? ' with --per-record' : ''}`, async () => {
      const res = await cli(['--out-dir', dir, '--on-invalid', 'skip', ...mode], INPUT)
      expect(res.code, res.stderr).to.equal(0)
      expect(res.stderr).to.match(/7 records read, 2 delivered, \d objects?, \d+ bytes stored, [\d.]+ s, 5 invalid lines skipped$/m)
      const got = (await lines(dir)).map((l) => l.slice(l.indexOf(':') + 1))
      expect(got).to.deep.equal(['{"a":1}', '{"a":2}'])
    })
  }

  it('--on-invalid dead-letter writes each invalid line with its error into a dead-letter object', async () => {
    const res = await cli(['--out-dir', dir, '--on-invalid', 'dead-letter'], INPUT)
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stderr).to.match(/, 5 invalid lines dead-lettered$/m)
    const letters = (await lines(dir, 'dead-letter')).map((l) => JSON.parse(l.slice(l.indexOf(':') + 1)) as { error: { message: string } })
    expect(letters).to.have.length(5)
    expect(letters.map((l) => /<stdin>:(\d+)/.exec(l.error.message)?.[1])).to.have.members(['2', '3', '4', '5', '7'])
  })

  it('refuses --on-invalid dead-letter with --per-record, and an unknown policy', () => {
    expect(() => parseCliArgs(['--out-dir', dir, '--per-record', '--on-invalid', 'dead-letter'], {})).to.throw().with.property('option', '--on-invalid')
    expect(() => parseCliArgs(['--out-dir', dir, '--on-invalid', 'ignore'], {})).to.throw().with.property('option', '--on-invalid')
  })

  it('suggests the flag a typo meant', () => {
    expect(() => parseCliArgs(['--buket', 'b'], {})).to.throw('--buket is not a known option; did you mean --bucket? (see --help)')
    expect(() => parseCliArgs(['--bucket', 'b', '--region', 'r', '--max-record', '5'], {})).to.throw('did you mean --max-records?')
  })

  it('turns the object flags into the params of every object', () => {
    const o = parseCliArgs(['--bucket', 'b', '--region', 'r', '--storage-class', 'STANDARD_IA', '--sse', 'aws:kms', '--sse-kms-key-id', 'key-1',
      '--tag', 'team=data', '--tag', 'env=a b', '--metadata', 'source=cli', '--content-type', 'application/x-ndjson'], {})
    expect(o.params).to.deep.equal({
      StorageClass: 'STANDARD_IA', ServerSideEncryption: 'aws:kms', SSEKMSKeyId: 'key-1', Tagging: 'team=data&env=a+b',
      Metadata: { source: 'cli' }, ContentType: 'application/x-ndjson'
    })
    for (const [argv, flag] of [
      [['--storage-class', 'COLD'], '--storage-class'], [['--sse', 'rot13'], '--sse'], [['--sse-kms-key-id', 'k'], '--sse-kms-key-id'],
      [['--tag', 'novalue'], '--tag'], [['--metadata', 'a=1', '--metadata', 'a=2'], '--metadata']
    ] as const) {
      expect(() => parseCliArgs(['--bucket', 'b', '--region', 'r', ...argv], {}), argv.join(' ')).to.throw().with.property('option', flag)
    }
    expect(() => parseCliArgs(['--out-dir', 'd', '--tag', 'a=1'], {})).to.throw().with.property('option', '--tag')
    // One object per Run takes them too (spec/cli/object-params.spec.ts reads them back from S3).
    expect(parseCliArgs(['--bucket', 'b', '--region', 'r', '--per-record', '--tag', 'a=1'], {}).params).to.deep.equal({ Tagging: 'a=1' })
  })
})
