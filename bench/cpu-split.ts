// CPU per record of a few pipelines, split by thread: the main thread (JS,
// streams, the SDK), V8's workers (concurrent GC, compilation) and libuv's
// pool (zlib). Rounds interleaved, minimum over rounds: CPU time is the
// figure least moved by other load, and the split shows which side a change
// moved. Linux (/proc/self/task); elsewhere only the total is printed.
//   node --import tsx bench/cpu-split.ts [records=150000] [rounds=5] [rows=limit,t1,t2,zstd,none,stages]
import './env.js'
import { pbkdf2 } from 'node:crypto'
import { readdirSync, readFileSync } from 'node:fs'
import { Writable, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { filterApis, minuteWindow } from '../lib/index.js'
import type { Batch } from '../lib/batch.js'
import { limit } from './baselines/limit.js'
import { discardClient } from './discard-client.js'
import { feedStream, recordPool } from './feed.js'
import { ours } from './ours.js'

const [countArg = '150000', roundsArg = '5', rowsArg = 'limit,t1,t2,zstd,none,stages'] = process.argv.slice(2)
const count = Number(countArg)
const rounds = Number(roundsArg)
const pool = recordPool(100_000)

/** CPU µs so far (100 Hz ticks) and name of every thread of this process; empty off Linux. */
function threadTimes (): Map<string, { us: number, name: string }> {
  const out = new Map<string, { us: number, name: string }>()
  let tids: string[] = []
  try { tids = readdirSync('/proc/self/task') } catch { return out }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim()
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      out.set(tid, { us: (Number(fields[11]) + Number(fields[12])) * 10_000, name })
    } catch { /* the thread ended */ }
  }
  return out
}

// Node 22+ names its threads ('V8 DefaultWorke', 'libuv-worker'); Node 20 calls them all 'node'. There,
// libuv's pool is told apart by giving it work and seeing which threads ran it, and the other threads
// already running before the benchmark starts are V8's platform threads; later ones (a worker thread,
// should anything start one) count as 'other'.
const startThreads = threadTimes()
await Promise.all(Array.from({ length: 16 }, async () => await new Promise((resolve) => { pbkdf2('probe', 'salt', 20_000, 32, 'sha256', resolve) })))
const poolTids = new Set([...threadTimes()].filter(([tid, t]) => t.us > (startThreads.get(tid)?.us ?? 0) && Number(tid) !== process.pid).map(([tid]) => tid))

function groupOf (tid: string, name: string): Group {
  if (Number(tid) === process.pid) return 'main'
  if (name.startsWith('V8')) return 'v8'
  if (name.startsWith('libuv')) return 'pool'
  if (name !== 'node') return 'other'
  return poolTids.has(tid) ? 'pool' : startThreads.has(tid) ? 'v8' : 'other'
}

/** CPU µs so far per thread group: main, V8 workers, libuv pool (zlib, parallel gzip and zstd blocks), anything else. */
function threadGroups (): Record<Group, number> {
  const out: Record<Group, number> = { main: 0, v8: 0, pool: 0, other: 0 }
  for (const [tid, { us, name }] of threadTimes()) out[groupOf(tid, name)] += us
  return out
}
type Group = 'main' | 'v8' | 'pool' | 'other'
const GROUPS: Group[] = ['main', 'v8', 'pool', 'other']

/** Batches' bodies read and thrown away: the window stages alone. */
async function stagesOnly (source: Readable): Promise<void> {
  const sink = new Writable({
    objectMode: true,
    write (batch: Batch, _e, cb) {
      batch.body.resume()
      cb()
    }
  })
  await pipeline(source, filterApis(), minuteWindow(), sink)
}

const runs: Record<string, () => Promise<unknown>> = {
  limit: async () => await limit(pool, count, 6),
  t1: async () => await ours(feedStream(pool, count), discardClient().client, 'bench', { level: 6, threads: 1 }),
  t2: async () => await ours(feedStream(pool, count), discardClient().client, 'bench', { level: 6, threads: 2 }),
  zstd: async () => await ours(feedStream(pool, count), discardClient().client, 'bench', { level: 3, compression: 'zstd' }),
  none: async () => await ours(feedStream(pool, count), discardClient().client, 'bench', { compression: 'none' }),
  stages: async () => { await stagesOnly(feedStream(pool, count)) }
}
const rows = rowsArg.split(',')
const best = new Map<string, Record<Group | 'total' | 'wall', number>>()
for (const row of rows) await runs[row]!() // warm-up
for (let r = 0; r < rounds; r++) {
  for (const row of r % 2 === 0 ? rows : [...rows].reverse()) {
    const p0 = process.cpuUsage()
    const g0 = threadGroups()
    const t0 = process.hrtime.bigint()
    await runs[row]!()
    const wall = Number(process.hrtime.bigint() - t0) / 1e9
    const p = process.cpuUsage(p0)
    const g1 = threadGroups()
    const cur = { total: (p.user + p.system) / count, wall, ...Object.fromEntries(GROUPS.map((k) => [k, (g1[k] - g0[k]) / count])) } as Record<Group | 'total' | 'wall', number>
    const prev = best.get(row)
    best.set(row, prev === undefined ? cur : Object.fromEntries(Object.entries(cur).map(([k, v]) => [k, Math.min(v, prev[k as Group])])) as typeof cur)
  }
}
const load = (await import('node:os')).loadavg()[0]!.toFixed(1)
console.log(`${count} records, ${rounds} rounds, min per column; load ${load}; ${process.version}; CPU µs per record`)
console.log('row       total   main     v8   pool  other   best rec/s')
for (const row of rows) {
  const b = best.get(row)!
  console.log(`${row.padEnd(8)} ${[b.total, b.main, b.v8, b.pool, b.other].map((x) => x.toFixed(2).padStart(6)).join(' ')} ${Math.round(count / b.wall).toLocaleString('en-US').padStart(12)}`)
}
