// The batched pipeline's main-thread cost per record, this tree's lib/ against another build of it (e.g.
// main's: `git -C /work/main archive HEAD lib | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/`),
// rows interleaved in one process (order reversed every other round), so load moves both sides alike:
//   node --import tsx bench/main-thread-ab.ts BASE_LIB_DIR [records=150000] [rounds=5] [rows=stages,gzip,zstd]
// Rows: stages (filterApis → minuteWindow, bodies drained), gzip (default compress(): gzip 6, one stream),
// t2 (gzip threads 2), zstd (compress({ compression: 'zstd' }), level 3), none; each into the discarding
// client with s3Writable's defaults (a client on AWS's endpoint, a fresh one per run), and limit (the serial
// JSON.stringify + gzip 6 loop). gzip-custom, zstd-custom: the same into a discarding client on a custom
// endpoint (as MinIO), one per side for the whole process, as one sink's client serves every object. Main-thread CPU
// from process.threadCpuUsage() where Node has it (>= 23.9), else /proc/thread-self (Linux; 10 ms ticks): the
// figure load moves least. "idle": the share of the run the main thread sat in the event loop with nothing to
// do (performance.eventLoopUtilization), i.e. waited for the pool or the upload; the rest of the gap between
// wall time and CPU is time the thread was ready but not running (other load on the cores).
import './env.js'
import { readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import { resolve } from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Batch } from '../lib/batch.js'
import type { S3Client } from '@aws-sdk/client-s3'
import type * as Lib from '../lib/index.js'
import { limit } from './baselines/limit.js'
import { discardClient } from './discard-client.js'
import { feedStream, recordPool } from './feed.js'

const [baseDir, countArg = '150000', roundsArg = '5', rowsArg = 'stages,gzip,zstd'] = process.argv.slice(2)
if (baseDir === undefined) throw new Error('usage: main-thread-ab.ts BASE_LIB_DIR [records] [rounds] [rows]')
const count = Number(countArg)
const rounds = Number(roundsArg)
const pool = recordPool(100_000)
const libs: Record<string, typeof Lib> = {
  base: await import(resolve(baseDir, 'index.js')) as typeof Lib,
  new: await import('../lib/index.js')
}

const threadCpuUsage = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage

/** Main-thread CPU so far, µs (this thread's utime + stime: exact where Node has threadCpuUsage, else 100 Hz ticks). */
function mainCpu (): number {
  if (threadCpuUsage !== undefined) {
    const u = threadCpuUsage.call(process)
    return u.user + u.system
  }
  const stat = readFileSync('/proc/thread-self/stat', 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}

const customClients = new Map<typeof Lib, S3Client>()
/** The custom-endpoint client of `lib`'s side. */
const customClient = (lib: typeof Lib): S3Client => {
  if (!customClients.has(lib)) customClients.set(lib, discardClient(0, { endpoint: 'http://discard.invalid:9000' }).client)
  return customClients.get(lib) as S3Client
}

async function into (lib: typeof Lib, compress: Lib.CompressOptions | null, client = discardClient().client): Promise<void> {
  const tail: Writable[] = compress === null
    ? [new Writable({ objectMode: true, write (batch: Batch, _e, cb) { batch.body.resume(); cb() } })]
    : [lib.compress(compress) as unknown as Writable, lib.s3Writable({ bucket: 'bench', client, prefix: 'ab' })]
  await pipeline(feedStream(pool, count), lib.filterApis(), lib.minuteWindow(), ...tail as [Writable])
}

const rowRuns: Record<string, (lib: typeof Lib) => Promise<unknown>> = {
  stages: async (lib) => { await into(lib, null) },
  gzip: async (lib) => { await into(lib, {}) },
  t2: async (lib) => { await into(lib, { threads: 2 }) },
  zstd: async (lib) => { await into(lib, { compression: 'zstd' }) },
  'gzip-custom': async (lib) => { await into(lib, {}, customClient(lib)) },
  'zstd-custom': async (lib) => { await into(lib, { compression: 'zstd' }, customClient(lib)) },
  none: async (lib) => { await into(lib, { compression: 'none' }) }
}
const rows = rowsArg.split(',')
const runs: Array<[string, () => Promise<unknown>]> = []
for (const row of rows) {
  if (row === 'limit') runs.push(['limit', async () => await limit(pool, count, 6)])
  else for (const side of Object.keys(libs)) runs.push([`${row} ${side}`, async () => await (rowRuns[row] as (lib: typeof Lib) => Promise<unknown>)(libs[side] as typeof Lib)])
}
const rates = new Map<string, number[]>()
const mains = new Map<string, number[]>()
const idles = new Map<string, number[]>()
for (let r = 0; r <= rounds; r++) {
  for (const [name, run] of r % 2 === 0 ? runs : [...runs].reverse()) {
    const m0 = mainCpu()
    const e0 = performance.eventLoopUtilization()
    const t0 = process.hrtime.bigint()
    await run()
    const wall = Number(process.hrtime.bigint() - t0) / 1e9
    if (r === 0) continue // warm-up
    rates.set(name, [...rates.get(name) ?? [], count / wall])
    mains.set(name, [...mains.get(name) ?? [], (mainCpu() - m0) / count])
    idles.set(name, [...idles.get(name) ?? [], performance.eventLoopUtilization(e0).idle / (wall * 1000)])
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const load = (await import('node:os')).loadavg()[0]?.toFixed(2) ?? '?'
console.log(`${count} records, ${rounds} rounds; ${process.version}; load ${load} at the end; main-thread CPU µs/record (min, median); main thread idle (median); records/s (median, range)`)
for (const [name] of runs) {
  const rs = rates.get(name) as number[]
  const ms = mains.get(name) as number[]
  const idle = median(idles.get(name) as number[])
  console.log(`${name.padEnd(12)} main ${Math.min(...ms).toFixed(2)} ${median(ms).toFixed(2)}  idle ${(100 * idle).toFixed(1).padStart(4)}%   ${Math.round(median(rs)).toLocaleString('en-US').padStart(9)} rec/s [${Math.round(Math.min(...rs) / 1000)}k – ${Math.round(Math.max(...rs) / 1000)}k]`)
}
// Ratios within each round (both sides of a ratio ran in that round), then their median.
const ratio = (a: string, b: string): string => {
  const xs = (rates.get(a) ?? []).map((x, i) => x / ((rates.get(b) ?? [])[i] ?? NaN))
  return xs.length === 0 ? 'n/a' : `${median(xs).toFixed(2)}x [${Math.min(...xs).toFixed(2)} – ${Math.max(...xs).toFixed(2)}]`
}
for (const side of Object.keys(libs)) {
  if (rows.includes('zstd') && rows.includes('gzip')) console.log(`${side}: zstd 3 ÷ gzip 6 ${ratio(`zstd ${side}`, `gzip ${side}`)}`)
  if (rows.includes('t2') && rows.includes('limit')) console.log(`${side}: threads 2 ÷ limit ${ratio(`t2 ${side}`, 'limit')}`)
}
// Main-thread CPU new − base within each round, then its median: the figure for a change of a fraction of a µs;
// "new lower in k of n" is a sign test over the rounds.
const cpuDelta = (row: string): string => {
  const xs = (mains.get(`${row} new`) ?? []).map((x, i) => x - ((mains.get(`${row} base`) ?? [])[i] ?? NaN))
  return `${median(xs) >= 0 ? '+' : ''}${median(xs).toFixed(3)} µs/record [${Math.min(...xs).toFixed(2)} – ${Math.max(...xs).toFixed(2)}], new lower in ${xs.filter((x) => x < 0).length} of ${xs.length}`
}
for (const row of rows.filter((r) => r !== 'limit')) console.log(`${row}: new ÷ base records/s ${ratio(`${row} new`, `${row} base`)}; main CPU new − base ${cpuDelta(row)}`)
