import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import { expect } from 'chai'
import { runCli } from '../../lib/cli/run.js'
import { compress, ConfigError, createS3Destination, createS3Sink, gzip, minuteWindow, s3Writable, type S3SinkConfig } from '../../lib/index.js'
import { hasZstd } from '../../lib/internal/zstd.js'
import { manualClock } from '../helpers/manual-clock.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { run, source } from '../helpers/streams.js'
import { unzstd } from '../helpers/zstd.js'

const BUCKET = 'compression-choice'
const T0 = Date.UTC(2026, 10, 25, 14, 3, 7)
const feed = Array.from({ length: 40 }, (_, i) => run(i))
const ZSTD = hasZstd() ? 'zstd' : `zstd (skipped: node:zlib has zstd from Node 22.15; this is ${process.version})`

describe('compression choice on every entry point (s3rver)', function () {
  this.timeout(30_000)
  let s3: LocalS3
  let n = 0
  /** A fresh prefix per test, so listings see only that test's objects. */
  const prefix = (): string => `t${++n}/`
  const cfg = (extra: Record<string, unknown>): S3SinkConfig => ({ type: 's3', bucket: BUCKET, ...s3.config, clock: manualClock(T0), ...extra }) as S3SinkConfig
  const only = async (p: string): Promise<{ key: string, body: Buffer, contentType?: string, contentEncoding?: string }> => {
    const keys = await s3.listKeys(BUCKET, p)
    expect(keys).to.have.length(1)
    return { key: keys[0] as string, ...await s3.getObject(BUCKET, keys[0] as string) }
  }
  const lines = (body: Buffer): unknown[] => body.toString('utf8').split('\n').filter((l) => l !== '').map((l) => JSON.parse(l) as unknown)

  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket(BUCKET)
  })
  after(async () => { await s3.close() })

  describe('s3Writable(): Content-Encoding or a compressed type', () => {
    it('stores .gz with Content-Encoding: gzip by default, and as application/gzip without it on encodingHeader: false', async () => {
      for (const encodingHeader of [undefined, false]) {
        const p = prefix()
        const sink = s3Writable({ ...s3.config, bucket: BUCKET, prefix: p, ...(encodingHeader === undefined ? {} : { encodingHeader }) })
        await pipeline(source(feed), minuteWindow({ clock: manualClock(T0) }), gzip({ threads: 2 }), sink)
        const object = await only(p)
        expect(object.key).to.match(/\.gz$/)
        expect(lines(gunzipSync(object.body))).to.deep.equal(feed)
        if (encodingHeader === undefined) expect(object).to.include({ contentType: 'application/x-ndjson', contentEncoding: 'gzip' })
        else expect(object).to.include({ contentType: 'application/gzip', contentEncoding: undefined })
      }
    })

    it('stores compression "none" as .ndjson without Content-Encoding', async () => {
      const p = prefix()
      await pipeline(source(feed), minuteWindow({ clock: manualClock(T0) }), compress({ compression: 'none' }), s3Writable({ ...s3.config, bucket: BUCKET, prefix: p }))
      const object = await only(p)
      expect(object.key).to.match(/\.ndjson$/)
      expect(object).to.include({ contentType: 'application/x-ndjson', contentEncoding: undefined })
      expect(lines(object.body)).to.deep.equal(feed)
    })

    it('rejects a non-boolean encodingHeader', () => {
      expect(() => s3Writable({ bucket: 'b', encodingHeader: 'no' as never })).to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option: 'options.encodingHeader' })
    })
  })

  describe('createS3Sink({ batched })', () => {
    it('batched.compression "none" gives .ndjson; encodingHeader: false gives application/gzip', async () => {
      const p1 = prefix()
      await pipeline(source(feed), createS3Sink(cfg({ prefix: p1, batched: { compression: 'none' } })))
      const plain = await only(p1)
      expect(plain.key).to.match(/\.ndjson$/)
      expect(lines(plain.body)).to.deep.equal(feed)
      const p2 = prefix()
      await pipeline(source(feed), createS3Sink(cfg({ prefix: p2, batched: { level: 1, threads: 2, encodingHeader: false } })))
      const gz = await only(p2)
      expect(gz).to.include({ contentType: 'application/gzip', contentEncoding: undefined })
      expect(lines(gunzipSync(gz.body))).to.deep.equal(feed)
    })

    it('reports bad compression fields as config issues at their path', () => {
      const issues = (batched: Record<string, unknown>): unknown => {
        try { createS3Sink(cfg({ batched })) } catch (err) { return (err as ConfigError).issues.map((i) => [i.path, i.problem]) }
        return []
      }
      expect(issues({ compression: 'br' })).to.deep.equal([['batched.compression', 'invalid']])
      expect(issues({ level: 12 })).to.deep.equal([['batched.level', 'invalid']])
      expect(issues({ level: '1' })).to.deep.equal([['batched.level', 'type']])
      expect(issues({ compression: 'none', level: 1 })).to.deep.equal([['batched.level', 'invalid']])
      expect(issues({ encodingHeader: 1 })).to.deep.equal([['batched.encodingHeader', 'type']])
      if (!hasZstd()) expect(issues({ compression: 'zstd' })).to.deep.equal([['batched.compression', 'invalid']])
    })
  })

  describe('createS3Destination()', () => {
    it('compression "none" and encodingHeader: false reach the objects', async () => {
      const p1 = prefix()
      const plain = createS3Destination({ ...s3.config, bucket: BUCKET, prefix: p1, compression: 'none', clock: manualClock(T0) })
      for (const payload of feed) plain.send({ payload })
      await plain.close()
      expect(lines((await only(p1)).body)).to.deep.equal(feed)
      const p2 = prefix()
      const typed = createS3Destination({ ...s3.config, bucket: BUCKET, prefix: p2, encodingHeader: false, threads: 2, clock: manualClock(T0) })
      for (const payload of feed) typed.send({ payload })
      await typed.close()
      const object = await only(p2)
      expect(object).to.include({ contentType: 'application/gzip', contentEncoding: undefined })
      expect(lines(gunzipSync(object.body))).to.deep.equal(feed)
    })

    it('rejects a bad compression option when built', () => {
      expect(() => createS3Destination({ compression: 'lz4' as never })).to.throw().that.includes({ option: 'options.compression' })
      expect(() => createS3Destination({ level: 10 })).to.throw().that.includes({ option: 'options.level' })
      if (!hasZstd()) expect(() => createS3Destination({ compression: 'zstd' })).to.throw(/Node >= 22\.15/)
    })
  })

  describe(ZSTD, function () {
    before(function () { if (!hasZstd()) this.skip() })

    it('createS3Sink({ batched: { compression: "zstd" } }) stores .zst with Content-Encoding: zstd', async () => {
      const p = prefix()
      await pipeline(source(feed), createS3Sink(cfg({ prefix: p, batched: { compression: 'zstd', level: 6 } })))
      const object = await only(p)
      expect(object.key).to.match(/\.zst$/)
      expect(object).to.include({ contentType: 'application/x-ndjson', contentEncoding: 'zstd' })
      expect(lines(await unzstd(object.body))).to.deep.equal(feed)
    })

    it('createS3Destination({ compression: "zstd", encodingHeader: false }) stores application/zstd', async () => {
      const p = prefix()
      const destination = createS3Destination({ ...s3.config, bucket: BUCKET, prefix: p, compression: 'zstd', encodingHeader: false, clock: manualClock(T0) })
      for (const payload of feed) destination.send({ payload })
      await destination.close()
      const object = await only(p)
      expect(object.key).to.match(/\.zst$/)
      expect(object).to.include({ contentType: 'application/zstd', contentEncoding: undefined })
      expect(lines(await unzstd(object.body))).to.deep.equal(feed)
    })

    it('s3-sink --compression zstd --compression-level 3 writes .zst objects', async () => {
      const p = prefix()
      const code = await runCli(['--bucket', BUCKET, '--endpoint', s3.endpoint, '--region', 'us-east-1', '--force-path-style', '--prefix', p, '--compression', 'zstd', '--compression-level', '3'], {
        stdin: Readable.from([Buffer.from(feed.map((r) => JSON.stringify(r)).join('\n') + '\n')]),
        stdout: { write: () => true },
        stderr: { write: () => true, isTTY: false },
        env: { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' },
        clock: manualClock(T0)
      })
      expect(code).to.equal(0)
      const object = await only(p)
      expect(object.key).to.match(/\.zst$/)
      expect(lines(await unzstd(object.body))).to.deep.equal(feed)
    })
  })

  describe('s3-sink --out-dir', () => {
    it('--compression none writes .ndjson files; zstd on an old Node is a usage error naming the Node', async () => {
      const dir = await mkdtemp(join(tmpdir(), 'compression-cli-'))
      try {
        let stderr = ''
        const io = (): Parameters<typeof runCli>[1] => ({
          stdin: Readable.from([Buffer.from(feed.map((r) => JSON.stringify(r)).join('\n') + '\n')]),
          stdout: { write: () => true },
          stderr: { write: (t: string) => { stderr += t }, isTTY: false },
          env: {},
          clock: manualClock(T0)
        })
        expect(await runCli(['--out-dir', dir, '--compression', 'none'], io())).to.equal(0)
        const files = (await readdir(dir, { recursive: true, withFileTypes: true })).filter((e) => e.isFile())
        expect(files).to.have.length(1)
        expect(files[0]!.name).to.match(/\.ndjson$/)
        expect(lines(await readFile(join(files[0]!.parentPath ?? files[0]!.path, files[0]!.name)))).to.deep.equal(feed)
        if (!hasZstd()) {
          expect(await runCli(['--out-dir', dir, '--compression', 'zstd'], io())).to.equal(2)
          expect(stderr).to.match(/--compression is "zstd", which node:zlib has from Node >= 22\.15/)
        }
      } finally {
        await rm(dir, { recursive: true, force: true })
      }
    })
  })
})
