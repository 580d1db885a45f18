import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join, relative } from 'node:path'
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { runCli } from '../../lib/cli/run.js'
import { shutdownControl } from '../../lib/cli/shutdown.js'
import { startFaultProxy, type FaultProxy } from '../helpers/fault-proxy.js'
import { manualClock } from '../helpers/manual-clock.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { run } from '../helpers/streams.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BUCKET = 'cli-shutdown'
/** The longest window a timer can hold: windows close on --max-records or at the end, never on the minute. */
const NO_MINUTE = ['--window-ms', '2147483647']
const STOPPED = /^s3-sink: (\d+) records read, (\d+) delivered, (\d+) objects?, \d+ bytes stored, [\d.]+ s, stopped by SIGTERM(?: at <stdin>:(\d+)| after the end of the input)?$/m
const lines = Array.from({ length: 400 }, (_, i) => JSON.stringify(run(i)))

interface Child {
  write: (text: string) => void
  kill: (signal: NodeJS.Signals) => void
  readonly stderr: string
  exited: Promise<number | null>
}

/** `node --import tsx lib/cli/main.ts ...argv` whose standard input stays open until it exits. */
function start (argv: string[], env: NodeJS.ProcessEnv = {}): Child {
  const clean: NodeJS.ProcessEnv = {}
  for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AWS_')) clean[name] = value
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', ...argv], { cwd: ROOT, env: { ...clean, ...env } })
  let stderr = ''
  child.stderr.setEncoding('utf8').on('data', (t: string) => { stderr += t })
  // Once the CLI has stopped reading, what is still written has no reader.
  child.stdin.on('error', () => {})
  return {
    write: (text) => { child.stdin.write(text) },
    kill: (signal) => { child.kill(signal) },
    get stderr () { return stderr },
    exited: new Promise((resolve) => child.on('close', resolve))
  }
}

/** Feeds `lines[0..count)` a few at a time, the way a slow producer would, then half a line. */
async function feed (child: Child, count: number): Promise<void> {
  for (let i = 0; i < count; i += 40) {
    child.write(lines.slice(i, Math.min(count, i + 40)).map((l) => `${l}\n`).join(''))
    await new Promise((resolve) => setTimeout(resolve, 10))
  }
  child.write(lines[count]!.slice(0, 30))
}

/** Polls `check` until it holds: waits for an effect, never for time to pass. */
async function until (what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 300; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 50))
  }
  throw new Error(`timed out waiting for ${what}`)
}

async function files (dir: string): Promise<string[]> {
  const entries = await readdir(dir, { recursive: true, withFileTypes: true }).catch(() => [])
  return entries.filter((e) => e.isFile()).map((e) => relative(dir, join(e.parentPath ?? e.path, e.name))).sort()
}

const page = (r: any): number => r.apiInfo.parameters.page
const firstRecords = (n: number): unknown[] => lines.slice(0, n).map((l) => JSON.parse(l))

/** The counts of a stopped run's summary, checked for read == delivered and the stop point right after the last line read. */
function stoppedSummary (stderr: string): { read: number, objects: number } {
  const match = STOPPED.exec(stderr)
  expect(match, stderr).to.not.equal(null)
  const [read, delivered, objects, at] = match!.slice(1).map(Number) as [number, number, number, number]
  expect(delivered, 'delivered').to.equal(read)
  expect(at, 'stop point').to.equal(read + 1)
  return { read, objects }
}

describe('shutdownControl()', () => {
  it('a stop ends reading at once and, past timeoutMs, tears the delivery down with ERR_SHUTDOWN_TIMEOUT', () => {
    const clock = manualClock()
    const stop = new AbortController()
    const stopped: string[] = []
    const control = shutdownControl({ stop: stop.signal, timeoutMs: 1000, clock, onStop: (by) => stopped.push(by) })
    expect(control.reading.aborted).to.equal(false)
    stop.abort('SIGTERM')
    expect([control.reading.aborted, control.teardown.aborted, control.stoppedBy]).to.deep.equal([true, false, 'SIGTERM'])
    expect(stopped).to.deep.equal(['SIGTERM'])
    clock.advance(999)
    expect(control.teardown.aborted).to.equal(false)
    clock.advance(1)
    expect(control.tornDownBy).to.equal('deadline')
    expect(control.teardown.reason).to.include({ code: 'ERR_SHUTDOWN_TIMEOUT', timeoutMs: 1000 })
    control.dispose()
  })

  it('an abort tears down at once; already aborted signals count; dispose clears the deadline', () => {
    const clock = manualClock()
    const abort = new AbortController()
    const control = shutdownControl({ abort: abort.signal, timeoutMs: 1000, clock })
    abort.abort('SIGINT')
    expect([control.reading.aborted, control.teardown.aborted, control.tornDownBy, control.stoppedBy]).to.deep.equal([true, true, 'abort', undefined])
    const late = shutdownControl({ stop: AbortSignal.abort(), timeoutMs: 1000, clock })
    expect([late.reading.aborted, late.stoppedBy, clock.pending]).to.deep.equal([true, 'request', 1])
    late.dispose()
    expect(clock.pending).to.equal(0)
  })

  it('validates its options', () => {
    const clock = manualClock()
    const cases: Array<[unknown, string]> = [[undefined, 'options'], [{ clock }, 'options.timeoutMs'], [{ clock, timeoutMs: 0 }, 'options.timeoutMs'],
      [{ timeoutMs: 1 }, 'options.clock'], [{ clock, timeoutMs: 1, stop: 'SIGTERM' }, 'options.stop'],
      [{ clock, timeoutMs: 1, abort: {} }, 'options.abort'], [{ clock, timeoutMs: 1, onStop: 1 }, 'options.onStop']]
    for (const [options, option] of cases) {
      expect(() => shutdownControl(options as never), option).to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option })
    }
  })
})

describe('s3-sink on SIGTERM and SIGINT', function () {
  // Each child loads tsx and the SDK: a second or two, more on a busy machine.
  this.timeout(30_000)
  let s3: LocalS3
  let proxy: FaultProxy
  let dir: string
  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket(BUCKET)
    // Uploads through the proxy never get an answer: they stay in flight until aborted.
    proxy = await startFaultProxy({ target: s3.endpoint, choose: (r) => r.kind === 'PutObject' || r.kind === 'UploadPart' ? 'stall' : null })
    dir = await mkdtemp(join(tmpdir(), 'cli-shutdown-'))
  })
  after(async () => {
    await proxy.close()
    await s3.close()
    await rm(dir, { recursive: true, force: true })
  })

  const env = (): NodeJS.ProcessEnv => ({ AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' })
  const s3Flags = (endpoint: string, prefix: string): string[] =>
    ['--bucket', BUCKET, '--endpoint', endpoint, '--force-path-style', '--prefix', prefix, ...NO_MINUTE]

  it('stops reading, delivers to S3 exactly the records it read, reports them and exits 0', async () => {
    const child = start([...s3Flags(s3.endpoint, 'sigterm/'), '--max-records', '50', '--gzip-level', '1'], env())
    await feed(child, 320)
    // Six full batches in S3: the CLI has read at least 300 lines.
    await until('six objects', async () => (await s3.listKeys(BUCKET, 'sigterm/')).length >= 6)
    child.kill('SIGTERM')
    expect(await child.exited, child.stderr).to.equal(0)
    expect(child.stderr).to.include('s3-sink: SIGTERM: stopped reading; delivering what was read')
    const { read, objects } = stoppedSummary(child.stderr)
    expect(read).to.be.within(300, 320)
    // The open window was flushed: a last, partial batch when the count is not a multiple of 50.
    expect(objects).to.equal(Math.ceil(read / 50))
    expect(await s3.listKeys(BUCKET, 'sigterm/')).to.have.length(objects)
    const stored = await s3.readRecords(BUCKET, 'sigterm/')
    expect(stored.sort((a, b) => page(a) - page(b))).to.deep.equal(firstRecords(read))
  })

  it('--out-dir: every file complete, no temp file left, exactly the records read', async () => {
    const out = join(dir, 'out')
    const child = start(['--out-dir', out, '--max-records', '50', ...NO_MINUTE])
    await feed(child, 230)
    await until('four files', async () => (await files(out)).filter((f) => f.endsWith('.gz')).length >= 4)
    child.kill('SIGTERM')
    expect(await child.exited, child.stderr).to.equal(0)
    const { read, objects } = stoppedSummary(child.stderr)
    const names = await files(out)
    expect(names.filter((n) => !/^\d{4}\/\d\d\/\d\d\/\d\d\/[\d-]{19}-[0-9a-f]{64}\.gz$/.test(n)), 'temp files').to.deep.equal([])
    expect(names).to.have.length(objects)
    const stored: unknown[] = []
    for (const name of names) {
      stored.push(...gunzipSync(await readFile(join(out, name))).toString().split('\n').filter(Boolean).map((l) => JSON.parse(l)))
    }
    expect(stored.sort((a, b) => page(a) - page(b))).to.deep.equal(firstRecords(read))
  })

  it('a second SIGTERM while an upload hangs aborts it and exits 143 at once, not at the deadline', async () => {
    const puts = proxy.count('PutObject')
    // A deadline far beyond the spec's timeout: only the second signal can end this run in time.
    const child = start([...s3Flags(proxy.endpoint, 'twice/'), '--max-records', '50', '--abort-timeout', '100', '--shutdown-timeout', '600000'], env())
    await feed(child, 60)
    await until('an upload in flight', () => proxy.count('PutObject') > puts)
    child.kill('SIGTERM')
    await until('the stop to be taken', () => child.stderr.includes('stopped reading'))
    child.kill('SIGTERM')
    expect(await child.exited, child.stderr).to.equal(143)
    expect(child.stderr).to.include('s3-sink: interrupted: uploads in flight were aborted')
    expect(child.stderr).to.match(/records read, 0 delivered, 0 objects, 0 bytes stored, [\d.]+ s, stopped by SIGTERM at <stdin>:\d+$/m)
    expect(await s3.listKeys(BUCKET, 'twice/')).to.deep.equal([])
  })

  describe('runCli() with a stop', () => {
    it('stops waiting on an open input, closes it, drops a partial line and exits 0', async () => {
      const stdin = new PassThrough()
      const out = join(dir, 'in-process')
      const stop = new AbortController()
      let stderr = ''
      const done = runCli(['--out-dir', out, '--no-gzip'], {
        stdin, stdout: { write: () => {} }, stderr: { write: (t: string) => { stderr += t } }, env: {}, stop: stop.signal, clock: manualClock()
      })
      stdin.write(lines.slice(0, 30).map((l) => `${l}\n`).join('') + lines[30]!.slice(0, 20))
      await until('the input to be read', () => stdin.readableLength === 0)
      stop.abort('SIGTERM')
      expect(await done, stderr).to.equal(0)
      expect(stdin.destroyed).to.equal(true)
      const { read } = stoppedSummary(stderr)
      const [name] = await files(out)
      const stored = (await readFile(join(out, name as string), 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l))
      expect(stored).to.deep.equal(firstRecords(read))
    })

    it('past --shutdown-timeout aborts the uploads in flight and exits 124', async () => {
      const stdin = new PassThrough()
      const stop = new AbortController()
      const clock = manualClock()
      let stderr = ''
      const puts = proxy.count('PutObject')
      const done = runCli([...s3Flags(proxy.endpoint, 'deadline/'), '--abort-timeout', '0', '--shutdown-timeout', '5000'], {
        stdin, stdout: { write: () => {} }, stderr: { write: (t: string) => { stderr += t } }, env: env(), stop: stop.signal, clock
      })
      // The whole input is read; its one batch is uploaded at its end, and hangs.
      stdin.end(lines.slice(0, 10).map((l) => `${l}\n`).join(''))
      await until('an upload in flight', () => proxy.count('PutObject') > puts)
      stop.abort('SIGTERM')
      clock.advance(4999)
      expect(stderr).not.to.include('ERR_SHUTDOWN_TIMEOUT')
      clock.advance(1)
      expect(await done, stderr).to.equal(124)
      expect(stderr).to.include('s3-sink: ERR_SHUTDOWN_TIMEOUT: shutdown timed out after 5000 ms: uploads in flight were aborted')
      expect(stderr).to.match(/^s3-sink: 10 records read, 0 delivered, 0 objects, 0 bytes stored, [\d.]+ s, stopped by SIGTERM after the end of the input$/m)
      expect(await s3.listKeys(BUCKET, 'deadline/')).to.deep.equal([])
    })
  })
})
