import { expect } from 'chai'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { cliRun as cli, filesUnder as files } from '../helpers/cli-run.js'
import { startS3rver } from '../helpers/s3rver.js'
import { run } from '../helpers/streams.js'

const runs = Array.from({ length: 40 }, (_, i) => run(i, `api${i % 2}`, i % 10 === 3))
// Spaced as a producer might write them: stored batches keep the text as read.
const lines = runs.map((r) => JSON.stringify(r, null, 0).replace('{', '{ ')).join('\n') + '\n'
const ERRORS = 'errors:when=apiInfo.result.status=failed,per-record,prefix=errors/'

describe('s3-sink --route', function () {
  this.timeout(30_000)

  it('failed Runs one object each under errors/, the others batched under runs/, into S3, read back', async () => {
    const s3 = await startS3rver()
    try {
      await s3.createBucket('cli-routes')
      const res = await cli(['--bucket', 'cli-routes', '--endpoint', s3.endpoint, '--store', 'custom', '--access-key-id', 'S3RVER', '--secret-access-key', 'S3RVER',
        '--prefix', 'prod', '--route', ERRORS, '--route', 'runs:prefix=runs/,max-records=100'], lines)
      expect(res.code, res.stderr).to.equal(0)
      const failed = runs.filter((r) => (r.apiInfo as { result: { status: string } }).result.status === 'failed')
      const errorKeys = await s3.listKeys('cli-routes', 'prod/errors/')
      expect(errorKeys).to.deep.equal(failed.map((r) => `prod/errors/${(r.apiInfo as { name: string }).name}/${(r.apiInfo as { runId: string }).runId}.json`).sort())
      const one = await s3.getObject('cli-routes', errorKeys[0]!)
      expect(one.body.toString()).to.equal(JSON.stringify(failed.find((r) => errorKeys[0]!.endsWith(`/${(r.apiInfo as { runId: string }).runId}.json`))))
      const runKeys = await s3.listKeys('cli-routes', 'prod/runs/')
      expect(runKeys).to.have.length(1)
      const stored = gunzipSync((await s3.getObject('cli-routes', runKeys[0]!)).body).toString()
      expect(stored).to.equal(lines.split('\n').filter((l) => l !== '' && !l.includes('"failed"')).map((l) => l + '\n').join(''))
      expect(res.stderr).to.match(/40 records read, 40 delivered, 5 objects/)
      expect(res.stderr).to.include('\ns3-sink: objects by route: errors 4, runs 1\n')
    } finally {
      await s3.close()
    }
  })

  it('each route its own template and compression; the batch flags are the defaults (--out-dir)', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-routes-'))
    try {
      const res = await cli(['--out-dir', dir, '--compression', 'none', '--route', 'api0:when=apiInfo.name=api0,key-template=a0/{id}{ext},compression=gzip',
        '--route', 'rest:when=apiInfo.name!=api0,key-template=rest/api={apiInfo.name}/{id}{ext}'], lines)
      expect(res.code, res.stderr).to.equal(0)
      const names = (await files(dir)).map((n) => n.replace(/[0-9a-f]{64}/, 'ID'))
      expect(names).to.deep.equal(['a0/ID.gz', 'rest/api=api1/ID'])
      expect(res.stderr).to.include('objects by route: api0 1, rest 1')
      const rest = (await readFile(join(dir, (await files(dir))[1]!))).toString().trim().split('\n')
      expect(rest).to.have.length(20)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('window=DURATION sets a route\'s window as --window does, window-ms=MS too', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-routes-'))
    try {
      const T = Date.UTC(2026, 10, 25, 14, 0)
      // Two APIs, each a record a minute for four minutes, windowed by event time.
      const timed = Array.from({ length: 8 }, (_, i) => JSON.stringify({ ...run(i, `api${i % 2}`), at: T + Math.floor(i / 2) * 60_000 })).join('\n') + '\n'
      const res = await cli(['--out-dir', dir, '--time-field', 'at', '--window', '1h', '--route', 'minutes:when=apiInfo.name=api0,prefix=m/,window=1m',
        '--route', 'two:when=apiInfo.name=api1,prefix=t/,window-ms=120000'], timed)
      expect(res.code, res.stderr).to.equal(0)
      const names = await files(dir)
      expect(names.filter((n) => n.startsWith('m/'))).to.have.length(4)
      expect(names.filter((n) => n.startsWith('t/'))).to.have.length(2)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('--on-invalid skip leaves out lines no route could read, and counts them', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'cli-routes-'))
    try {
      const res = await cli(['--out-dir', dir, '--on-invalid', 'skip', '--route', ERRORS, '--route', 'runs'], `not json\n${lines}`)
      expect(res.code, res.stderr).to.equal(0)
      expect(res.stderr).to.include('1 invalid line skipped')
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })

  it('a record no route takes fails the run naming --route, the line, and --unmatched drop', async () => {
    const res = await cli(['--out-dir', '/nonexistent-never-written', '--route', 'only:when=apiInfo.name=none'], lines)
    expect(res.code).to.equal(1)
    expect(res.stderr).to.include("s3-sink: ERR_CALLBACK: --route took none of <stdin>:1: no route's when= matched it (end with a --route without when=, which takes every record, or give --unmatched drop to leave such records out; the summary counts them)")
    expect(res.stderr).to.not.include('unmatched:')
  })

  it('exits 2 at start naming the bad route and setting, never its value', async () => {
    for (const [argv, named] of [
      [['--route', 'errors:compresion=gzip'], 'did you mean compression?'],
      [['--route', 'errors:compression=brotli'], '--route errors:compression'],
      [['--route', 'runs:window-ms=0'], '--route runs:window-ms'],
      [['--route', 'runs:window=0s'], '--route runs:window must be between'],
      [['--route', 'runs:window=soon'], '--route runs:window must be a duration'],
      [['--route', 'runs:window=5m,window-ms=1000'], '--route runs:window cannot be combined with window-ms'],
      [['--route', 'e:per-record,window=5m'], '--route e:window cannot be combined with per-record'],
      [['--route', 'runs:max-bytes=lots'], '--route runs:max-bytes'],
      [['--route', 'runs:key-template={YYYY}/x'], '--route runs:key-template'],
      [['--route', 'runs:prefix=/abs'], '--route runs:prefix'],
      [['--route', 'e:when=a.b'], '--route e:when'],
      [['--route', 'e:per-record,compression=none'], '--route e:compression'],
      [['--route', 'all', '--route', 'e:when=a=1'], '--route all'],
      [['--route', 'e:when=a=1', '--route', 'e'], '--route e'],
      [['--route', 'e:per-record=yes'], '--route e:per-record'],
      [['--route', 'bad name'], '--route'],
      [['--route', ERRORS, '--per-record'], '--per-record'],
      [['--route', ERRORS, '--on-invalid', 'dead-letter'], '--on-invalid'],
      [['--route', 'runs:max-records=0'], '--route runs:max-records'],
      [['--route', 'runs', '--window-ms', '0'], '--window-ms must']
    ] as const) {
      const res = await cli(['--out-dir', '/nonexistent-never-written', ...argv], lines)
      expect(res.code, argv.join(' ')).to.equal(2)
      expect(res.stderr, argv.join(' ')).to.include(named)
      expect(res.stderr).not.to.include('brotli')
    }
    const manifests = await cli(['--bucket', 'b', '--region', 'us-east-1', '--route', 'runs', '--manifests'], lines)
    expect(manifests.code).to.equal(2)
    expect(manifests.stderr).to.include('--manifests cannot be combined with --route')
  })
})
