import { expect } from 'chai'
import { mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { PassThrough, type Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import type { Batch } from '../../lib/batch.js'
import { keyPath } from '../../lib/cli/key-path.js'
import { outDirRecords } from '../../lib/cli/out-dir-records.js'
import { outDirWritable, type FileWritten } from '../../lib/cli/out-dir.js'
import { gzip, keyRotate, minuteWindow } from '../../lib/index.js'
import { run, source } from '../helpers/streams.js'

/** Every file under `dir`, relative, sorted; temp files included. */
async function files (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath ?? e.path, e.name))).sort()
}

function batch (key: string, body = new PassThrough()): Batch & { body: PassThrough } {
  return { kind: 'batch', body, windowStart: 0, windowEnd: 60_000, openedAt: 0, seq: 0, key, contentType: 'application/x-ndjson', stats: { records: 1, bytes: 0 } }
}

async function settled (stream: Writable): Promise<Error | null> {
  return await new Promise((resolve) => {
    let error: Error | null = null
    stream.on('error', (err) => { error = err })
    stream.on('close', () => resolve(error))
  })
}

const tick = async (): Promise<void> => await new Promise((resolve) => setTimeout(resolve, 20))

/**
 * The files under `dir` once `ready(names)` holds: file operations finish on
 * the thread pool, so a fixed sleep is too short on a loaded machine.
 */
async function filesWhen (dir: string, ready: (names: string[]) => boolean, timeoutMs = 5000): Promise<string[]> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const names = await files(dir)
    if (ready(names) || Date.now() > deadline) return names
    await tick()
  }
}

describe('outDirWritable()', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'out-dir-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  it('writes every batch under its key, the same bytes s3Writable would upload', async () => {
    const records = Array.from({ length: 250 }, (_, i) => run(i))
    const sink = outDirWritable({ dir })
    const written: FileWritten[] = []
    sink.on('object', (o: FileWritten) => written.push(o))
    await pipeline(source(records), minuteWindow({ maxRecords: 100 }), gzip(), keyRotate({ prefix: 'runs' }), sink)
    const names = await files(dir)
    expect(names).to.have.length(3)
    for (const name of names) expect(name).to.match(/^runs\/\d{4}\/\d\d\/\d\d\/\d\d\/\d{4}-\d\d-\d\d-\d\d-\d\d-\d\d-[0-9a-f]{64}\.gz$/)
    expect(written.map((o) => o.records).sort((a, b) => b - a)).to.deep.equal([100, 100, 50])
    const lines: unknown[] = []
    for (const o of written) {
      const bytes = await readFile(o.path)
      expect(bytes.length).to.equal(o.bytes)
      lines.push(...gunzipSync(bytes).toString().split('\n').filter(Boolean).map((l) => JSON.parse(l)))
    }
    // Files complete in any order; the records they hold are all of them, once.
    const page = (r: any): number => r.apiInfo.parameters.page
    expect(lines.sort((a, b) => page(a) - page(b))).to.deep.equal(records)
  })

  it('names unnamed batches with the default key under its prefix', async () => {
    await pipeline(source([run(1)]), minuteWindow(), outDirWritable({ dir, prefix: 'p/' }))
    const [name] = await files(dir)
    expect(name).to.match(/^p\/\d{4}\/.*\.ndjson$/)
  })

  it('shows no file under the key until the batch is complete', async () => {
    const sink = outDirWritable({ dir })
    const b = batch('a/b.ndjson')
    sink.write(b)
    b.body.write('{"x":1}\n')
    const during = await filesWhen(dir, (names) => names.length > 0)
    expect(during).to.have.length(1)
    expect(during[0]).to.match(/^a\/\.b\.ndjson\.[0-9a-f]{12}\.partial$/)
    b.body.end('{"x":2}\n')
    sink.end()
    await new Promise((resolve) => sink.on('finish', resolve))
    expect(await files(dir)).to.deep.equal(['a/b.ndjson'])
    expect(await readFile(join(dir, 'a/b.ndjson'), 'utf8')).to.equal('{"x":1}\n{"x":2}\n')
  })

  it('holds further batches while `concurrency` files are open (backpressure)', async () => {
    const sink = outDirWritable({ dir, concurrency: 1 })
    const first = batch('1.ndjson')
    const second = batch('2.ndjson')
    sink.write(first)
    expect(sink.write(second)).to.equal(false)
    await filesWhen(dir, (names) => names.length > 0)
    await tick()
    // Only the first file is under way; the second batch waits in the writable buffer.
    expect((await files(dir)).map((f) => f.slice(0, 10))).to.deep.equal(['.1.ndjson.'])
    expect(sink.writableLength).to.equal(2)
    first.body.end('one\n')
    const now = await filesWhen(dir, (names) => names.includes('1.ndjson') && names.length === 2)
    expect(now[0]).to.match(/^\.2\.ndjson\..*\.partial$/)
    expect(now[1]).to.equal('1.ndjson')
    second.body.end('two\n')
    sink.end()
    await new Promise((resolve) => sink.on('finish', resolve))
    expect(await files(dir)).to.deep.equal(['1.ndjson', '2.ndjson'])
  })

  it('removes unfinished files when destroyed mid-stream, and reports the error once', async () => {
    const sink = outDirWritable({ dir })
    const b = batch('x/y.ndjson')
    const errors: Error[] = []
    sink.on('error', (err) => errors.push(err))
    sink.on('finish', () => errors.push(new Error('finish must not fire')))
    sink.write(b)
    b.body.write('partial\n')
    await tick()
    const closed = new Promise((resolve) => sink.on('close', resolve))
    sink.destroy(new Error('stop'))
    await closed
    expect(errors.map((e) => e.message)).to.deep.equal(['stop'])
    expect(await files(dir)).to.deep.equal([])
    expect(b.body.destroyed).to.equal(true)
  })

  it('fails with ERR_FILE_WRITE naming the key when a file cannot be written', async () => {
    await writeFile(join(dir, 'taken'), 'a file, not a directory')
    const sink = outDirWritable({ dir })
    const done = settled(sink)
    const b = batch('taken/k.ndjson')
    sink.write(b)
    b.body.end('x\n')
    const err = await done as Error & { code: string, key: string }
    expect(err).to.include({ code: 'ERR_FILE_WRITE', key: 'taken/k.ndjson' })
  })

  it('rejects keys that would leave the directory, and chunks that are not batches', async () => {
    const escape = outDirWritable({ dir })
    const done = settled(escape)
    escape.write(batch('a/../../etc/x'))
    expect(await done).to.include({ code: 'ERR_FILE_WRITE' })
    const notBatch = outDirWritable({ dir })
    const failed = settled(notBatch)
    notBatch.write({ hello: 'world' })
    expect(await failed).to.include({ code: 'ERR_INVALID_BATCH' })
  })

  it('validates its options', () => {
    const cases: Array<[unknown, string]> = [[undefined, 'options'], [{}, 'options.dir'], [{ dir: 3 }, 'options.dir'],
      [{ dir, concurrency: 0 }, 'options.concurrency'], [{ dir, prefix: '/abs' }, 'options.prefix']]
    for (const [options, option] of cases) {
      expect(() => outDirWritable(options as never)).to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option })
    }
  })
})

describe('outDirRecords()', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'out-rec-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  const key = (r: Record<string, any>): string => `runs/${r.apiInfo.name}/${r.apiInfo.runId}.json`

  it('writes one file per record under its key', async () => {
    const records = [run(1), run(2), run(3, 'api1', true)]
    const written: unknown[] = []
    const sink = outDirRecords({ dir, key, concurrency: 2 })
    sink.on('object', (o) => written.push(o))
    await pipeline(source(records), sink)
    expect(await files(dir)).to.deep.equal(['runs/api1/run-1.json', 'runs/api1/run-3.json', 'runs/api2/run-2.json'])
    expect(JSON.parse(await readFile(join(dir, 'runs/api2/run-2.json'), 'utf8'))).to.deep.equal(run(2))
    expect(written).to.have.length(3)
  })

  it('fails with ERR_CALLBACK when key throws, and ERR_FILE_WRITE for a key outside the directory', async () => {
    const throwing = outDirRecords({ dir, key: () => { throw new Error('no key') } })
    const a = settled(throwing)
    throwing.write(run(1))
    expect(await a).to.include({ code: 'ERR_CALLBACK', option: 'options.key' })
    const escaping = outDirRecords({ dir, key: () => '../outside.json' })
    const b = settled(escaping)
    escaping.write(run(1))
    expect(await b).to.include({ code: 'ERR_FILE_WRITE' })
    // Only the path the key names: walking the whole temporary directory took seconds on a loaded machine.
    expect(await stat(join(dir, '..', 'outside.json')).then(() => true, () => false)).to.equal(false)
  })

  it('validates its options', () => {
    const cases: Array<[unknown, string]> = [[{ key }, 'options.dir'], [{ dir }, 'options.key'], [{ dir, key, body: 1 }, 'options.body'],
      [{ dir, key, concurrency: 1000 }, 'options.concurrency']]
    for (const [options, option] of cases) {
      expect(() => outDirRecords(options as never)).to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option })
    }
  })
})

describe('keyPath()', () => {
  it('maps keys into the directory and refuses the ones that would escape it', () => {
    expect(keyPath('/tmp/out', 'a/b.gz')).to.equal('/tmp/out/a/b.gz')
    for (const key of ['', '../x', 'a/../../x', 'a//b', './a', 'a/.', 'a\u0000b', 'a/']) expect(keyPath('/tmp/out', key), key).to.equal(null)
  })
})
