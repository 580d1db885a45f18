import { gunzipSync } from 'node:zlib'
import { killAll, startCliWorker, waitUntil, type CliWorker } from './cli-worker.js'
import { guardMs } from './load.js'
import type { LocalS3 } from './s3rver.js'

/** A record of the kill test: `id` counts from 0. */
export interface KillRecord { id: number, apiInfo: { name: string }, pad: string }

export const killRecord = (id: number): KillRecord => ({ id, apiInfo: { name: `api${id % 3}` }, pad: 'x'.repeat(40) })

/** The log under test, as the kill test drives and inspects it. */
export interface KillTestLog {
  /** Appends records to the stream, in order. */
  feed (records: readonly KillRecord[]): Promise<void>
  /** The `--source ...` flags of the worker named `name`. */
  sourceArgs (name: string): string[]
  /** True once every entry was delivered and none is pending (read and not acknowledged). */
  settled (): Promise<boolean>
  /** True once `worker` is connected to the log (it has installed its signal handlers by then). */
  joined (worker: CliWorker): Promise<boolean>
  /**
   * Called once the killed worker has exited (`killedAt`: when it was sent
   * SIGKILL): the ids of the records `victim` had read and not acknowledged.
   */
  unacknowledgedBy (victim: CliWorker, killedAt: number): Promise<Set<number>>
}

/** What one kill test saw. */
export interface KillTestResult {
  records: number
  /** Records read back from S3, copies included. */
  stored: number
  duplicates: number
  /** Records the killed worker had stored and not acknowledged when it died: the most duplicates allowed. */
  bound: number
  victimStored: number
  /** Ids never stored. */
  missing: number[]
  /**
   * Objects of the killed worker whose body is cut short: s3rver keeps what
   * it received of a PutObject whose client died mid-request (S3 refuses a
   * body shorter than its Content-Length). Not counted as stored.
   */
  torn: number
  /** Ids stored more than once that are not in the bound (or more than twice). */
  unexplained: number[]
  /** Each live worker's exit status and stderr after SIGTERM. */
  exits: Array<{ name: string, code: number | string, stderr: string }>
  /** From the first worker's start until the group had nothing pending. */
  seconds: number
}

const BUCKET = 'kill'

/**
 * The kill test of issue 9: `n` records fed in four steps; three CLI workers
 * in one group; once the first has stored objects it is SIGKILLed while the
 * feed goes on, and a fourth takes its place; once the log has nothing
 * pending, the live ones get SIGTERM. Then every object is read back. Each
 * worker writes under its own prefix, so what the killed one stored is
 * known; what it had not acknowledged is asked of the log at the kill.
 */
export async function runKillTest (s3: LocalS3, log: KillTestLog, n: number, scenarioArgs: string[], settleMs = 60_000): Promise<KillTestResult> {
  await s3.createBucket(BUCKET)
  const workers: CliWorker[] = []
  const start = (name: string): CliWorker => {
    const args = [...log.sourceArgs(name), '--bucket', BUCKET, '--endpoint', s3.endpoint, '--force-path-style', '--prefix', `${name}/`, ...scenarioArgs]
    const worker = startCliWorker(name, args)
    workers.push(worker)
    return worker
  }
  const feed = async (from: number, to: number): Promise<void> => {
    for (let i = from; i < to; i += 50_000) await log.feed(Array.from({ length: Math.min(to, i + 50_000) - i }, (_, k) => killRecord(i + k)))
  }
  try {
    const t0 = Date.now()
    const first = [start('w1'), start('w2'), start('w3')]
    // The feed starts once all three read: fed earlier, two workers could take every entry
    // before the third (a slower start) asks, and that one would never store anything.
    await waitUntil(async () => (await Promise.all(first.map(async (w) => await log.joined(w)))).every(Boolean), guardMs(30_000), 'the three workers to join')
    await feed(0, n / 4)
    // The victim is the first worker with two objects stored, whichever it is.
    let found: CliWorker | undefined
    await waitUntil(async () => {
      for (const w of first) if ((await s3.listKeys(BUCKET, `${w.name}/`)).length >= 2) { found = w; return true }
      return false
    }, guardMs(30_000), 'the first objects of a worker to kill')
    const victim = found!
    await feed(n / 4, n / 2)
    const killedAt = Date.now()
    victim.child.kill('SIGKILL')
    await victim.exited
    const unacknowledged = await log.unacknowledgedBy(victim, killedAt)
    const replacement = start('w4')
    await feed(n / 2, n)
    await waitUntil(async () => await log.joined(replacement), guardMs(30_000), 'the replacement to join')
    await waitUntil(async () => await log.settled(), guardMs(settleMs), 'nothing pending in the group')
    const seconds = (Date.now() - t0) / 1000
    const live = workers.filter((w) => w !== victim)
    for (const worker of live) worker.child.kill('SIGTERM')
    const exits = await Promise.all(live.map(async (w) => ({ name: w.name, code: await w.exited, stderr: w.stderr() })))
    await s3.quiet()

    let torn = 0
    const recordsOf = async (prefix: string): Promise<KillRecord[]> => {
      const out: KillRecord[] = []
      for (const key of await s3.listKeys(BUCKET, prefix)) {
        let text: string
        try {
          text = gunzipSync((await s3.getObject(BUCKET, key)).body).toString('utf8')
        } catch (err) {
          // Only the killed worker can have left a cut body (see `torn`).
          if (!key.startsWith(`${victim.name}/`)) throw err
          torn++
          continue
        }
        for (const line of text.split('\n')) if (line !== '') out.push(JSON.parse(line) as KillRecord)
      }
      return out
    }
    const all = await recordsOf('')
    const victimStored = new Set((await recordsOf(`${victim.name}/`)).map((r) => r.id))
    torn /= 2 // counted by both reads
    const counts = new Uint8Array(n)
    let stored = 0
    for (const record of all) {
      counts[record.id] = Math.min(255, (counts[record.id] ?? 0) + 1)
      stored++
    }
    const bound = new Set([...unacknowledged].filter((id) => victimStored.has(id)))
    const missing: number[] = []
    const unexplained: number[] = []
    counts.forEach((count, id) => {
      if (count === 0) missing.push(id)
      else if (count > 2 || (count === 2 && !bound.has(id))) unexplained.push(id)
    })
    return { records: n, stored, duplicates: stored - (n - missing.length), bound: bound.size, victimStored: victimStored.size, torn, missing, unexplained, exits, seconds }
  } finally {
    await killAll(workers)
  }
}
