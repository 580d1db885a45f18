import { expect } from 'chai'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { gunzipSync } from 'node:zlib'
import { cliRun as cli, filesUnder as files } from '../helpers/cli-run.js'
import { startS3rver } from '../helpers/s3rver.js'
import { run } from '../helpers/streams.js'

const T0 = Date.UTC(2026, 10, 25, 23, 59)
const lines = Array.from({ length: 30 }, (_, i) => JSON.stringify({ ...run(i), at: new Date(T0 + (i % 2) * 60_000 + i).toISOString() })).join('\n') + '\n'

describe('s3-sink --key-template, --time-field', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'cli-layout-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('partitions by the template\'s fields and windows by event time, lines stored as read', async () => {
    const res = await cli(['--out-dir', dir, '--prefix', 'runs', '--key-template', '{prefix}api={apiInfo.name}/dt={YYYY}-{MM}-{DD}/{HH}{mm}-{id}{ext}',
      '--time-field', 'at', '--allowed-lateness-ms', '60000'], lines)
    expect(res.code, res.stderr).to.equal(0)
    const names = await files(dir)
    // api0..2 x minutes 23:59 and 00:00: across midnight
    expect(names.map((n) => n.replace(/-[0-9a-f]{64}\.gz$/, '')).sort()).to.deep.equal([
      'runs/api=api0/dt=2026-11-25/2359', 'runs/api=api0/dt=2026-11-26/0000', 'runs/api=api1/dt=2026-11-25/2359',
      'runs/api=api1/dt=2026-11-26/0000', 'runs/api=api2/dt=2026-11-25/2359', 'runs/api=api2/dt=2026-11-26/0000'
    ])
    const stored: string[] = []
    for (const name of names) stored.push(...gunzipSync(await readFile(join(dir, name))).toString().split('\n').filter(Boolean))
    expect(stored.sort()).to.deep.equal(lines.split('\n').filter(Boolean).sort())
  })

  it('counts late records in the summary and stores them under late/', async () => {
    const ats = [T0 + 120_000, T0, T0 + 121_000, T0 + 1000]
    const input = ats.map((at, i) => JSON.stringify({ ...run(i), at })).join('\n') + '\n'
    const res = await cli(['--out-dir', dir, '--time-field', 'at'], input)
    expect(res.code, res.stderr).to.equal(0)
    expect(res.stderr).to.include(', 2 late records under late/')
    expect((await files(dir)).filter((n) => n.startsWith('late/'))).to.have.length(1)
  })

  it('--per-record keys by template too', async () => {
    const res = await cli(['--out-dir', dir, '--per-record', '--key-template', 'api={apiInfo.name}/{YYYY}/{id}.json'], lines)
    expect(res.code, res.stderr).to.equal(0)
    expect((await files(dir)).slice(0, 2)).to.deep.equal(['api=api0/2026/run-0.json', 'api=api0/2026/run-12.json'])
  })

  it('exits 2 naming the flag for a bad template, zone, time field or lateness without a time field', async () => {
    for (const [argv, flag] of [
      [['--key-template', '{yyyy}/{id}'], '--key-template'],
      [['--key-template', '{id}', '--time-zone', 'Mars/Base'], '--time-zone'],
      [['--time-zone', 'UTC'], '--time-zone'],
      [['--time-field', 'a..b'], '--time-field'],
      [['--allowed-lateness-ms', '5'], '--allowed-lateness-ms'],
      [['--per-record', '--time-field', 'at'], '--time-field']
    ] as const) {
      const res = await cli(['--out-dir', dir, ...argv], lines)
      expect(res.code, argv.join(' ')).to.equal(2)
      expect(res.stderr).to.include(flag)
    }
  })

  it('--manifests writes a manifest per window and partition into S3', async () => {
    const s3 = await startS3rver()
    try {
      await s3.createBucket('cli-layout')
      const res = await cli(['--bucket', 'cli-layout', '--endpoint', s3.endpoint, '--store', 'custom', '--access-key-id', 'S3RVER', '--secret-access-key', 'S3RVER',
        '--key-template', 'api={apiInfo.name}/{id}{ext}', '--time-field', 'at', '--allowed-lateness-ms', '60000', '--manifests'], lines)
      expect(res.code, res.stderr).to.equal(0)
      expect(await s3.listKeys('cli-layout', '_manifests/')).to.have.length(6)
    } finally {
      await s3.close()
    }
  })

  it('--time-zone dates the manifests\' keys as the objects\'; without --key-template it needs --manifests', async () => {
    const s3 = await startS3rver()
    const S3 = ['--endpoint', s3.endpoint, '--store', 'custom', '--access-key-id', 'S3RVER', '--secret-access-key', 'S3RVER']
    try {
      await s3.createBucket('cli-manifest-zone')
      // 23:59 and 00:00 UTC are 08:59 and 09:00 in Tokyo on the 26th.
      const res = await cli(['--bucket', 'cli-manifest-zone', ...S3, '--key-template', 'runs/{YYYY}{MM}{DD}-{HH}{mm}/{id}{ext}', '--time-zone', 'Asia/Tokyo',
        '--time-field', 'at', '--allowed-lateness-ms', '60000', '--manifests', '--manifest-template', 'audit/{YYYY}{MM}{DD}-{HH}{mm}.json'], lines)
      expect(res.code, res.stderr).to.equal(0)
      expect(await s3.listKeys('cli-manifest-zone', 'audit/')).to.deep.equal(['audit/20261126-0859.json', 'audit/20261126-0900.json'])
      expect((await s3.listKeys('cli-manifest-zone', 'runs/')).map((k) => k.split('/')[1])).to.deep.equal(['20261126-0859', '20261126-0900'])
      // --manifests alone: the default manifest keys, in the zone.
      const plain = await cli(['--bucket', 'cli-manifest-zone', ...S3, '--prefix', 'plain', '--time-zone', 'Asia/Tokyo', '--time-field', 'at', '--allowed-lateness-ms', '60000', '--manifests'], lines)
      expect(plain.code, plain.stderr).to.equal(0)
      expect((await s3.listKeys('cli-manifest-zone', 'plain/_manifests/')).map((k) => k.split('/').slice(2, 6).join('/'))).to.deep.equal(['2026/11/26/08', '2026/11/26/09'])
    } finally {
      await s3.close()
    }
    for (const [argv, flag] of [
      [['--time-zone', 'Asia/Tokyo'], '--time-zone'], // neither --key-template nor --manifests
      [['--manifests', '--time-zone', 'Nowhere/C1ty'], '--time-zone'],
      [['--manifests', '--time-zone', 'Europe/Berlin', '--manifest-template', 'm/{YYYY}{MM}{DD}-{HH}{mm}.json'], '--manifest-template'] // no {id} where clocks go back
    ] as const) {
      const res = await cli(['--bucket', 'b', '--region', 'r', '--access-key-id', 'A', '--secret-access-key', 'S', ...argv], lines)
      expect(res.code, argv.join(' ')).to.equal(2)
      expect(res.stderr, argv.join(' ')).to.match(new RegExp(`^s3-sink: ${flag} `))
      expect(res.stderr).to.not.include('C1ty')
    }
  })

  it('--manifest-template names the manifests; a bad one, or one without --manifests, exits 2 naming it', async () => {
    const s3 = await startS3rver()
    try {
      await s3.createBucket('cli-manifest-keys')
      const res = await cli(['--bucket', 'cli-manifest-keys', '--endpoint', s3.endpoint, '--store', 'custom', '--access-key-id', 'S3RVER', '--secret-access-key', 'S3RVER',
        '--prefix', 'runs', '--key-template', '{prefix}api={apiInfo.name}/{id}{ext}', '--time-field', 'at', '--allowed-lateness-ms', '60000',
        '--manifests', '--manifest-template', 'audit/api={apiInfo.name}/{YYYY}{MM}{DD}-{HH}{mm}.json'], lines)
      expect(res.code, res.stderr).to.equal(0)
      expect(await s3.listKeys('cli-manifest-keys', 'audit/')).to.deep.equal(['api0', 'api1', 'api2'].flatMap((api) =>
        [`audit/api=${api}/20261125-2359.json`, `audit/api=${api}/20261126-0000.json`]))
      expect(await s3.listKeys('cli-manifest-keys', 'runs/_manifests/')).to.deep.equal([])
    } finally {
      await s3.close()
    }
    for (const argv of [['--manifests', '--manifest-template', '{yyyy}.json'], ['--manifest-template', 'm/{id}.json'], ['--manifests', '--manifest-template', '']]) {
      const res = await cli(['--bucket', 'b', '--region', 'r', '--access-key-id', 'A', '--secret-access-key', 'S', ...argv], lines)
      expect(res.code, argv.join(' ')).to.equal(2)
      expect(res.stderr, argv.join(' ')).to.match(/^s3-sink: --manifest-template /)
    }
  })
})
