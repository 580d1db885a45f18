import { expect } from 'chai'
import { spawn } from 'node:child_process'
import { mkdtemp, readdir, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { fileURLToPath } from 'node:url'
import { runCli } from '../../lib/cli/run.js'
import { startFaultProxy, type FaultKind, type FaultProxy } from '../helpers/fault-proxy.js'
import { manualClock } from '../helpers/manual-clock.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { run } from '../helpers/streams.js'

const ROOT = fileURLToPath(new URL('../../', import.meta.url))
const BUCKET = 'cli-abort'
const ENV = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' }
/** Windows close on --max-records or at the end, never on the minute. */
const NO_MINUTE = ['--window-ms', '2147483647']
const SUMMARY = /^s3-sink: (\d+) records read, (\d+) delivered, (\d+) objects?, \d+ bytes stored, [\d.]+ s.*$/m
const IN_FLIGHT = /^s3-sink: (\d+) objects? in flight at abort: (.*)$/m

/** Polls `check` until it holds: waits for an effect, never for time to pass. */
async function until (what: string, check: () => boolean | Promise<boolean>): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await check()) return
    await new Promise((resolve) => setTimeout(resolve, 20))
  }
  throw new Error(`timed out waiting for ${what}`)
}

/** The summary's objects delivered and objects of unknown outcome (0 without an in-flight line). */
function counts (stderr: string): { delivered: number, unknown: number, inFlight: number } {
  const summary = SUMMARY.exec(stderr)
  expect(summary, stderr).to.not.equal(null)
  const inFlight = IN_FLIGHT.exec(stderr)
  const unknown = /(\d+) outcome unknown/.exec(inFlight?.[2] ?? '')
  return { delivered: Number(summary![3]), unknown: Number(unknown?.[1] ?? 0), inFlight: Number(inFlight?.[1] ?? 0) }
}

describe('s3-sink aborted: the summary counts what S3 confirmed', function () {
  // Each child loads tsx and the SDK: a second or two, more on a busy machine.
  this.timeout(30_000)
  let s3: LocalS3
  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket(BUCKET)
  })
  after(async () => { await s3.close() })

  describe('a second SIGINT while many uploads are in flight', () => {
    const lines = Array.from({ length: 3000 }, (_, i) => `${JSON.stringify(run(i, 'api0'))}\n`).join('')
    const modes: Array<[string, string[]]> = [['batched', ['--max-records', '5', ...NO_MINUTE]], ['per-record', ['--per-record']]]
    for (const [mode, flags] of modes) {
      it(`${mode}: delivered <= stored <= delivered + outcome unknown`, async () => {
        const prefix = `race-${mode}/`
        const clean: NodeJS.ProcessEnv = {}
        for (const [name, value] of Object.entries(process.env)) if (!name.startsWith('AWS_')) clean[name] = value
        const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli/main.ts', '--bucket', BUCKET, '--endpoint', s3.endpoint,
          '--force-path-style', '--prefix', prefix, '--concurrency', '16', ...flags], { cwd: ROOT, env: { ...clean, ...ENV } })
        let stderr = ''
        child.stderr.setEncoding('utf8').on('data', (t: string) => { stderr += t })
        child.stdin.on('error', () => {})
        const exited = new Promise((resolve) => child.on('close', resolve))
        child.stdin.write(lines)
        await until('objects in S3', async () => (await s3.listKeys(BUCKET, prefix)).length >= 20)
        child.kill('SIGINT')
        await until('the stop', () => stderr.includes('stopped reading'))
        child.kill('SIGINT')
        expect(await exited, stderr).to.equal(130)
        // A write the abort cut off may still be landing in s3rver.
        await new Promise((resolve) => setTimeout(resolve, 300))
        const stored = (await s3.listKeys(BUCKET, prefix)).length
        const { delivered, unknown } = counts(stderr)
        expect(delivered, stderr).to.be.at.most(stored)
        expect(stored, stderr).to.be.at.most(delivered + unknown)
      })
    }
  })

  describe('in process, each upload\'s fate chosen through the fault proxy', () => {
    let proxy: FaultProxy
    /** Faults of the PutObjects, in arrival order (then forwarded). */
    let puts: Array<FaultKind | null> = []
    let uploadParts: Array<FaultKind | null> = []
    before(async () => {
      proxy = await startFaultProxy({
        target: s3.endpoint,
        choose: (r) => r.kind === 'PutObject' ? puts.shift() ?? null : r.kind === 'UploadPart' ? uploadParts.shift() ?? null : null
      })
    })
    after(async () => { await proxy.close() })

    /**
     * Runs the CLI until `ready` holds and the CLI itself has counted
     * `confirmed` objects (its live progress line, drawn on a terminal and
     * redrawn as the manual clock moves, says so), then aborts it.
     */
    async function aborted (argv: string[], input: string, confirmed: number, ready: () => boolean | Promise<boolean>): Promise<string> {
      const stdin = new PassThrough()
      const abort = new AbortController()
      const clock = manualClock()
      let stderr = ''
      const done = runCli(['--bucket', BUCKET, '--endpoint', proxy.endpoint, '--force-path-style', ...argv], {
        stdin, stdout: { write: () => {} }, stderr: { write: (t: string) => { stderr += t }, isTTY: true }, env: ENV, signal: abort.signal, clock
      })
      stdin.write(input)
      const counted = `, ${confirmed} object${confirmed === 1 ? '' : 's'}, `
      await until('the uploads', async () => {
        clock.advance(1000)
        return await ready() && stderr.slice(stderr.lastIndexOf('\r')).includes(counted)
      })
      abort.abort('SIGINT')
      expect(await done, stderr).to.equal(130)
      // The live line's redraws, one per line, then the summary on lines of its own.
      return stderr.replaceAll('\r\u001b[K', '\n')
    }

    it('batched: confirmed, stored without an answer, never answered, never sent', async () => {
      // The first PutObject is answered, the second stored but unanswered, the third never reaches s3rver.
      const seen = proxy.count('PutObject')
      puts = [null, 'answerWithheld', 'stall']
      const lines = Array.from({ length: 18 }, (_, i) => `${JSON.stringify(run(i))}\n`).join('')
      const stderr = await aborted(['--prefix', 'fates/', '--abort-timeout', '100', '--max-records', '5', '--concurrency', '4', '--no-gzip', ...NO_MINUTE], lines, 1,
        async () => proxy.count('PutObject') - seen >= 3 && (await s3.listKeys(BUCKET, 'fates/')).length >= 2)
      // Three full batches went out; the fourth (3 records) was still open, so never sent.
      expect(stderr).to.match(/^s3-sink: 18 records read, 5 delivered, 1 object, \d+ bytes stored, [\d.]+ s$/m)
      expect(stderr).to.include('s3-sink: 3 objects in flight at abort: 1 not stored, 2 outcome unknown (10 records; sent, S3 never answered: each may be stored)')
      expect(await s3.listKeys(BUCKET, 'fates/')).to.have.length(2)
    })

    it('per-record: confirmed, stored without an answer, never answered, waiting behind its key', async () => {
      const seen = proxy.count('PutObject')
      puts = [null, 'answerWithheld', 'stall']
      // Runs 0, 1 and 2, then run 2 again: its upload waits for the first one to its key, and is never sent.
      const lines = [0, 1, 2, 2].map((i) => `${JSON.stringify(run(i, 'api0'))}\n`).join('')
      const stderr = await aborted(['--prefix', 'runs/', '--per-record', '--concurrency', '4'], lines, 1,
        async () => proxy.count('PutObject') - seen >= 3 && (await s3.listKeys(BUCKET, 'runs/')).length >= 2)
      expect(stderr).to.match(/^s3-sink: 4 records read, 1 delivered, 1 object, \d+ bytes stored, [\d.]+ s$/m)
      expect(stderr).to.include('s3-sink: 3 objects in flight at abort: 1 not stored, 2 outcome unknown (2 records; sent, S3 never answered: each may be stored)')
      expect(proxy.count('PutObject') - seen).to.equal(3)
      expect(await s3.listKeys(BUCKET, 'runs/')).to.have.length(2)
    })

    it('a multipart upload whose AbortMultipartUpload fails (s3rver answers 405) leaves its parts', async () => {
      uploadParts = [null, 'stall']
      // One batch of a little over 5 MiB: two parts; the second never answered.
      const pad = 'x'.repeat(100 * 1024)
      const lines = Array.from({ length: 54 }, (_, i) => `${JSON.stringify({ ...run(i), pad })}\n`).join('')
      const uploads = proxy.count('UploadPart')
      const stderr = await aborted(['--prefix', 'multipart/', '--abort-timeout', '100', '--no-gzip', '--max-records', '54', ...NO_MINUTE], lines, 0,
        () => proxy.count('UploadPart') - uploads >= 2)
      expect(stderr).to.match(/^s3-sink: 54 records read, 0 delivered, 0 objects, 0 bytes stored, [\d.]+ s$/m)
      expect(stderr).to.include('s3-sink: 1 object in flight at abort: 1 not stored but its multipart parts left in S3 (AbortMultipartUpload failed; a lifecycle rule or abortIncompleteUploads() removes them)')
      expect(await s3.listKeys(BUCKET, 'multipart/')).to.deep.equal([])
    })
  })

  describe('--out-dir: the files being written are reported the same way', () => {
    let dir: string
    beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'cli-abort-')) })
    afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

    async function files (): Promise<string[]> {
      const entries = await readdir(dir, { recursive: true, withFileTypes: true })
      return entries.filter((e) => e.isFile()).map((e) => e.name)
    }

    it('batched: complete files are delivered; the open batch\'s file is not stored, and its temp file is gone', async () => {
      const stdin = new PassThrough()
      const abort = new AbortController()
      const clock = manualClock()
      let stderr = ''
      const done = runCli(['--out-dir', dir, '--max-records', '5', '--no-gzip', ...NO_MINUTE], {
        stdin, stdout: { write: () => {} }, stderr: { write: (t: string) => { stderr += t }, isTTY: true }, env: {}, signal: abort.signal, clock
      })
      stdin.write(Array.from({ length: 18 }, (_, i) => `${JSON.stringify(run(i))}\n`).join(''))
      // Three full batches written; the fourth (3 records) open, its temp file under way.
      await until('three files and a partial one', async () => {
        clock.advance(1000)
        const names = await files()
        return stderr.slice(stderr.lastIndexOf('\r')).includes(', 3 objects, ') && names.some((n) => n.endsWith('.partial'))
      })
      abort.abort('SIGINT')
      expect(await done, stderr).to.equal(130)
      const text = stderr.replaceAll('\r\u001b[K', '\n')
      expect(text).to.match(/^s3-sink: 18 records read, 15 delivered, 3 objects, \d+ bytes stored, [\d.]+ s$/m)
      expect(text).to.match(/^s3-sink: 1 object in flight at abort: 1 not stored$/m)
      expect(await files()).to.have.length(3)
    })
  })
})
