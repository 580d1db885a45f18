import { expect } from 'chai'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { parseCliArgs } from '../../lib/cli/args.js'
import { USAGE } from '../../lib/cli/usage.js'
import { cliRun as cli, filesUnder as files } from '../helpers/cli-run.js'
import { startS3rver } from '../helpers/s3rver.js'
import { run } from '../helpers/streams.js'

// The flags of the stages' own options: --on-late, --idle-timeout-ms
// (minuteWindow), --chunk-size (minuteWindow, serialize), --block-size,
// --gzip-chunk-size (compress, gzip), --unmatched (route).

const T0 = Date.UTC(2026, 10, 25, 23, 59)
/** Two of these four are later than allowed (lateness 0): T0 after T0 + 120 s, T0 + 1 s after T0 + 121 s. */
const LATE = [T0 + 120_000, T0, T0 + 121_000, T0 + 1000].map((at, i) => JSON.stringify({ ...run(i), at })).join('\n') + '\n'
const S3 = ['--store', 'custom', '--access-key-id', 'S3RVER', '--secret-access-key', 'S3RVER']
const NEW_FLAGS = ['--on-late', '--idle-timeout-ms', '--chunk-size', '--block-size', '--gzip-chunk-size', '--unmatched']

describe('s3-sink flags of the stages\' options', function () {
  this.timeout(30_000)
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'cli-stage-flags-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('parses each into the options the stages are built from', () => {
    const o = parseCliArgs(['--out-dir', dir, '--time-field', 'at', '--on-late', 'drop', '--idle-timeout-ms', '5000', '--chunk-size', '16KiB',
      '--gzip-chunk-size', '128KiB', '--route', 'a:when=x=1', '--unmatched', 'drop'], {})
    expect(o).to.deep.include({ onLate: 'drop', idleTimeoutMs: 5000, chunkSize: 16 * 1024, gzipChunkSize: 128 * 1024, unmatched: 'drop' })
    expect(parseCliArgs(['--out-dir', dir, '--gzip-threads', '2', '--block-size', '1MiB'], {}).blockSize).to.equal(1024 * 1024)
    expect(parseCliArgs(['--out-dir', dir, '--compression', 'zstd', '--block-size', '64KiB'], {}).blockSize).to.equal(64 * 1024)
    // Not given: the stages' defaults, and a record no route takes fails the run.
    const plain = parseCliArgs(['--out-dir', dir], {})
    expect(plain).to.include({ unmatched: 'error' })
    expect(plain).to.not.have.any.keys('onLate', 'idleTimeoutMs', 'chunkSize', 'blockSize', 'gzipChunkSize')
  })

  it('--help lists each', () => {
    for (const flag of NEW_FLAGS) expect(USAGE).to.match(new RegExp(`\\n  ${flag} [A-Z]`), flag)
  })

  it('exits 2 naming the flag, never its value, for a bad value, one the stage refuses, or one other flags make meaningless', async () => {
    for (const [argv, flag] of [
      [['--time-field', 'at', '--on-late', 'later-v4lue'], '--on-late'],
      [['--on-late', 'drop'], '--on-late'], // without --time-field
      [['--idle-timeout-ms', '5000'], '--idle-timeout-ms'],
      [['--time-field', 'at', '--idle-timeout-ms', '5s-v4lue'], '--idle-timeout-ms'],
      [['--time-field', 'at', '--idle-timeout-ms', '0'], '--idle-timeout-ms'], // minuteWindow's range
      [['--chunk-size', '0'], '--chunk-size'], // minuteWindow's range
      [['--chunk-size', 'big-v4lue'], '--chunk-size'],
      [['--block-size', '1MiB'], '--block-size'], // one gzip stream has no blocks
      [['--gzip-threads', '2', '--block-size', '1KiB'], '--block-size'], // compress()'s range
      [['--gzip-chunk-size', '32'], '--gzip-chunk-size'], // compress()'s range
      [['--gzip-threads', '2', '--gzip-chunk-size', '64KiB'], '--gzip-chunk-size'],
      [['--no-gzip', '--gzip-chunk-size', '64KiB'], '--gzip-chunk-size'],
      [['--unmatched', 'drop'], '--unmatched'], // without --route
      [['--route', 'a:when=x=1', '--unmatched', 'keep-v4lue'], '--unmatched'],
      [['--per-record', '--chunk-size', '1KiB'], '--chunk-size']
    ] as const) {
      const res = await cli(['--out-dir', dir, ...argv], LATE)
      expect(res.code, argv.join(' ')).to.equal(2)
      expect(res.stderr, argv.join(' ')).to.match(new RegExp(`^s3-sink: ${flag} `))
      expect(res.stderr).to.not.include('v4lue')
    }
  })

  it('--on-late drop leaves late records out of S3 and counts them; error fails the run; partition (default) stores them under late/', async () => {
    const s3 = await startS3rver()
    try {
      await s3.createBucket('on-late')
      const drop = await cli(['--bucket', 'on-late', '--endpoint', s3.endpoint, ...S3, '--prefix', 'drop', '--time-field', 'at', '--on-late', 'drop'], LATE)
      expect(drop.code, drop.stderr).to.equal(0)
      expect(drop.stderr).to.match(/4 records read, 2 delivered, 1 object, .*, 2 late records dropped$/m)
      const kept = await s3.listKeys('on-late', 'drop/')
      expect(kept).to.have.length(1)
      expect(gunzipSync((await s3.getObject('on-late', kept[0]!)).body).toString().split('\n').filter(Boolean)).to.deep.equal([LATE.split('\n')[0], LATE.split('\n')[2]])

      const error = await cli(['--bucket', 'on-late', '--endpoint', s3.endpoint, ...S3, '--prefix', 'error', '--time-field', 'at', '--on-late', 'error'], LATE)
      expect(error.code).to.equal(1)
      expect(error.stderr).to.include('ERR_LATE_RECORD')
      expect(await s3.listKeys('on-late', 'error/')).to.deep.equal([])

      const partition = await cli(['--bucket', 'on-late', '--endpoint', s3.endpoint, ...S3, '--prefix', 'part', '--time-field', 'at', '--on-late', 'partition'], LATE)
      expect(partition.code, partition.stderr).to.equal(0)
      expect(partition.stderr).to.include(', 2 late records under late/')
      expect((await s3.listKeys('on-late', 'part/')).filter((k) => k.startsWith('part/late/'))).to.have.length(1)
    } finally {
      await s3.close()
    }
  })

  it('--block-size cuts gzip --gzip-threads 2 into blocks of that size: other bytes, the same lines', async () => {
    const input = Array.from({ length: 3000 }, (_, i) => JSON.stringify({ ...run(i), pad: 'x'.repeat(40 + (i % 50)) })).join('\n') + '\n'
    const bodies: Buffer[] = []
    for (const blockSize of [[], ['--block-size', '64KiB']]) {
      const out = join(dir, String(bodies.length))
      const res = await cli(['--out-dir', out, '--gzip-threads', '2', ...blockSize], input)
      expect(res.code, res.stderr).to.equal(0)
      const [name, ...more] = await files(out)
      expect(more).to.deep.equal([])
      bodies.push(await readFile(join(out, name!)))
    }
    expect(bodies[1]!.equals(bodies[0]!)).to.equal(false)
    for (const body of bodies) expect(gunzipSync(body).toString()).to.equal(input)
  })

  it('--unmatched drop leaves out the records no route takes; without it they fail the run', async () => {
    const lines = Array.from({ length: 9 }, (_, i) => JSON.stringify(run(i))).join('\n') + '\n'
    const routes = ['--route', 'zero:when=apiInfo.name=api0,prefix=zero/', '--route', 'one:when=apiInfo.name=api1,prefix=one/']
    const dropped = await cli(['--out-dir', dir, ...routes, '--unmatched', 'drop'], lines)
    expect(dropped.code, dropped.stderr).to.equal(0)
    expect(dropped.stderr).to.match(/9 records read, 6 delivered, 2 objects, .*, 3 unmatched records dropped \(--unmatched drop\)$/m)
    expect((await files(dir)).map((f) => f.split('/')[0])).to.deep.equal(['one', 'zero'])
    const failed = await cli(['--out-dir', join(dir, 'failed'), ...routes], lines)
    expect(failed.code).to.equal(1)
  })
})
