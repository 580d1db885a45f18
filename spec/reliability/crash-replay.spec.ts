import { spawn, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { setTimeout as sleep } from 'node:timers/promises'
import { fileURLToPath } from 'node:url'
import { gunzipSync } from 'node:zlib'
import { expect } from 'chai'
import { prng } from '../helpers/prng.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'

const ROOT = fileURLToPath(new URL('../..', import.meta.url))
const WORKER = join(ROOT, 'spec/fixtures/durable-feed-worker.ts')
const BUCKET = 'crash-bucket'
const RECORDS = 1000
const KILLS = 3
const MODES = ['random', 'stable'] as const

describe('crash and replay: SIGKILL mid-feed, restart from the checkpoint (s3rver in this process, worker spawned)', function () {
  this.timeout(60_000)
  let s3: LocalS3
  let dir: string
  /** Copies of each record stored, per delivery; and per delivery, records stored past its checkpoint at the kills. */
  const stored = new Map<string, Map<number, number>>()
  const bound = new Map<string, number>()
  const objects = new Map<string, number>()
  const tornObjects = new Map<string, number>()

  async function committed (mode: string): Promise<number> {
    try {
      return (JSON.parse(await readFile(join(dir, `${mode}.json`), 'utf8')) as { committed: number }).committed
    } catch {
      return -1
    }
  }

  /**
   * Copies of each record stored under `mode/`, and the objects that do not
   * decode. Plain s3rver wrote a PutObject body straight to the object's file
   * and kept what came when the connection died (a torn object); the spec
   * helper's store now renames a complete body into place, as S3 never shows
   * an object before its whole body is in, so none is expected. Should a
   * store show one, its records were never acknowledged (no response came)
   * and are delivered again: counted apart, not as copies.
   */
  async function copies (mode: string): Promise<{ counts: Map<number, number>, torn: number }> {
    const counts = new Map<number, number>()
    let torn = 0
    for (const key of await s3.listKeys(BUCKET, `${mode}/`)) {
      let text: string
      try {
        text = gunzipSync((await s3.getObject(BUCKET, key)).body).toString()
      } catch {
        torn++ // not one still being written: the callers wait for s3.quiet() first
        continue
      }
      for (const line of text.split('\n')) {
        if (line === '') continue
        const { i } = JSON.parse(line) as { i: number }
        counts.set(i, (counts.get(i) ?? 0) + 1)
      }
    }
    return { counts, torn }
  }

  function start (): { child: ChildProcess, ready: Promise<void>, exited: Promise<number | null> } {
    const child = spawn(process.execPath, ['--import', 'tsx', WORKER], {
      cwd: ROOT,
      env: { ...process.env, FEED: join(dir, 'feed.ndjson'), CHECKPOINTS: dir, ENDPOINT: s3.endpoint, BUCKET, NOW: String(Date.UTC(2026, 10, 25, 14, 3, 7)) },
      stdio: ['ignore', 'pipe', 'pipe']
    })
    let stderr = ''
    child.stderr!.on('data', (chunk: Buffer) => { stderr += chunk.toString() })
    const ready = new Promise<void>((resolve, reject) => {
      child.stdout!.on('data', (chunk: Buffer) => { if (chunk.toString().includes('ready')) resolve() })
      child.once('exit', () => { reject(new Error(`worker exited before it was ready: ${stderr}`)) })
    })
    const exited = once(child, 'exit').then(([code]) => {
      if (code !== 0 && code !== null) throw new Error(`worker failed (${String(code)}): ${stderr}`)
      return code as number | null
    })
    return { child, ready, exited }
  }

  before(async function () {
    s3 = await startS3rver()
    await s3.createBucket(BUCKET)
    dir = await mkdtemp(join(tmpdir(), 'crash-'))
    await writeFile(join(dir, 'feed.ndjson'), Array.from({ length: RECORDS }, (_, i) => JSON.stringify({ i, text: `record ${i}` })).join('\n') + '\n')
    const random = prng(8)
    for (let kill = 0; kill < KILLS; kill++) {
      const worker = start()
      await worker.ready
      await sleep(150 + Math.floor(random() * 400))
      worker.child.kill('SIGKILL')
      await worker.exited
      // Requests the worker sent whole may still be landing: wait until s3rver has finished them before looking.
      await s3.quiet()
      for (const mode of MODES) {
        const at = await committed(mode)
        let past = 0
        for (const [i, n] of (await copies(mode)).counts) if (i > at) past += n
        bound.set(mode, (bound.get(mode) ?? 0) + past)
        expect(at, `${mode}: the checkpoint after kill ${kill + 1}`).to.be.below(RECORDS - 1)
      }
    }
    expect(await start().exited).to.equal(0)
    await s3.quiet()
    for (const mode of MODES) {
      expect(await committed(mode)).to.equal(RECORDS - 1)
      const { counts, torn } = await copies(mode)
      stored.set(mode, counts)
      tornObjects.set(mode, torn)
      objects.set(mode, (await s3.listKeys(BUCKET, `${mode}/`)).length)
    }
  })
  after(async () => {
    await s3.close()
    await rm(dir, { recursive: true, force: true })
  })

  it('random keys: every record is in S3 at least once; duplicates stay within what was stored but not committed at the kills', () => {
    const counts = stored.get('random')!
    for (let i = 0; i < RECORDS; i++) expect(counts.get(i), `record ${i}`).to.be.at.least(1)
    const duplicates = [...counts.values()].reduce((sum, n) => sum + n - 1, 0)
    console.log(`      ${KILLS} kills: ${duplicates} duplicate records (bound: ${bound.get('random')!} stored past the checkpoint at the kills; ${tornObjects.get('random')!} torn s3rver objects)`)
    expect(duplicates).to.be.at.most(bound.get('random')!)
  })

  it('stable keys: the replays rewrite the same objects, so no record is stored twice', () => {
    const counts = stored.get('stable')!
    for (let i = 0; i < RECORDS; i++) expect(counts.get(i), `record ${i}`).to.equal(1)
    expect(objects.get('stable')).to.equal(RECORDS / 25)
    expect(tornObjects.get('stable'), 'a torn object is rewritten under its stable key').to.equal(0)
    console.log(`      ${KILLS} kills with stable keys: 0 duplicate records (${bound.get('stable')!} rewritten in place), ${objects.get('stable')!} objects`)
  })
})
