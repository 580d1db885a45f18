// The batched pipeline's main-thread cost per record, this tree's lib/ against another build of it (e.g.
// main's: `git -C /work/main archive HEAD lib | tar -x -C /tmp/base && ln -s $PWD/node_modules /tmp/base/`),
// rows interleaved in one process, each row's two sides back to back in an order swapped every round, so load and
// the row before move both sides alike:
//   node --import tsx bench/main-thread-ab.ts BASE_LIB_DIR [records=150000] [rounds=5] [rows=stages,gzip,zstd] [ab|aa]
// aa: the A/A control, BASE_LIB_DIR's lib on both sides (one module instance): what "new − base" reads by chance
// and by order alone. (An A/B against a copy of this tree's lib/ is an A/A with two module instances.)
// Rows: stages (filterApis → minuteWindow, bodies drained), gzip (default compress(): gzip 6, one stream),
// t2 (gzip threads 2), zstd (compress({ compression: 'zstd' }), level 3), none; each into the discarding
// client with s3Writable's defaults (a client on AWS's endpoint, a fresh one per run), and limit (the serial
// JSON.stringify + gzip 6 loop). gzip-custom, zstd-custom: the same into a discarding client on a custom
// endpoint (as MinIO), one per side for the whole process, as one sink's client serves every object. Main-thread CPU
// from process.threadCpuUsage() where Node has it (>= 23.9), else /proc/thread-self/schedstat (Linux, ns): the
// figure load moves least. "idle": the share of the run the main thread sat in the event loop with nothing to
// do (performance.eventLoopUtilization), i.e. waited for the pool or the upload; the rest of the gap between
// wall time and CPU is time the thread was ready but not running (other load on the cores).
import './env.js'
import { performance } from 'node:perf_hooks'
import { resolve } from 'node:path'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Batch } from '../lib/batch.js'
import type { S3Client } from '@aws-sdk/client-s3'
import type * as Lib from '../lib/index.js'
import { limit } from './baselines/limit.js'
import { discardClient } from './discard-client.js'
import { mainCpu } from './main-thread-cpu.js'
import { median, medianInterval } from './measure.js'
import { feedStream, recordPool } from './feed.js'

const [baseDir, countArg = '150000', roundsArg = '5', rowsArg = 'stages,gzip,zstd', modeArg = 'ab'] = process.argv.slice(2)
if (baseDir === undefined || !['ab', 'aa'].includes(modeArg)) throw new Error('usage: main-thread-ab.ts BASE_LIB_DIR [records] [rounds] [rows] [ab|aa]')
const control = modeArg === 'aa'
const count = Number(countArg)
const rounds = Number(roundsArg)
const pool = recordPool(100_000)
const baseLib = await import(resolve(baseDir, 'index.js')) as typeof Lib
const SIDES = ['base', 'new'] as const
const libs: Record<typeof SIDES[number], typeof Lib> = {
  base: baseLib,
  new: control ? baseLib : await import('../lib/index.js')
}

// Keyed by side, not by lib: in the A/A control both sides share one lib but not a client.
const customClients = new Map<string, S3Client>()
/** The custom-endpoint client of `side`. */
const customClient = (side: string): S3Client => {
  if (!customClients.has(side)) customClients.set(side, discardClient(0, { endpoint: 'http://discard.invalid:9000' }).client)
  return customClients.get(side) as S3Client
}

async function into (lib: typeof Lib, compress: Lib.CompressOptions | null, client = discardClient().client): Promise<void> {
  const tail: Writable[] = compress === null
    ? [new Writable({ objectMode: true, write (batch: Batch, _e, cb) { batch.body.resume(); cb() } })]
    : [lib.compress(compress) as unknown as Writable, lib.s3Writable({ bucket: 'bench', client, prefix: 'ab' })]
  await pipeline(feedStream(pool, count), lib.filterApis(), lib.minuteWindow(), ...tail as [Writable])
}

const rowRuns: Record<string, (lib: typeof Lib, side: string) => Promise<unknown>> = {
  stages: async (lib) => { await into(lib, null) },
  gzip: async (lib) => { await into(lib, {}) },
  t2: async (lib) => { await into(lib, { threads: 2 }) },
  zstd: async (lib) => { await into(lib, { compression: 'zstd' }) },
  'gzip-custom': async (lib, side) => { await into(lib, {}, customClient(side)) },
  'zstd-custom': async (lib, side) => { await into(lib, { compression: 'zstd' }, customClient(side)) },
  none: async (lib) => { await into(lib, { compression: 'none' }) }
}
const rows = rowsArg.split(',')
for (const row of rows) if (row !== 'limit' && rowRuns[row] === undefined) throw new Error(`unknown row ${row}`)
type Run = [string, () => Promise<unknown>]
const sideRun = (row: string, side: typeof SIDES[number]): Run =>
  [`${row} ${side}`, async () => await (rowRuns[row] as (lib: typeof Lib, side: string) => Promise<unknown>)(libs[side], side)]
// Rows in a fixed order, each row's two sides back to back, which goes first swapped every round: each side follows
// the row before in half the rounds and its own partner in the other half. Reversing the whole list every other
// round (this bench's order before) put one side of the first and last rows after another row in half the rounds
// and its partner never (an A/A control of that order in bench/unsigned-ab.ts: +0.11 µs/record on one side).
const orderOf = (r: number): Run[] => rows.flatMap((row): Run[] => row === 'limit'
  ? [['limit', async () => await limit(pool, count, 6)]]
  : (r % 2 === 0 ? SIDES : [...SIDES].reverse()).map((side) => sideRun(row, side)))
const runs = orderOf(0)
const rates = new Map<string, number[]>()
const mains = new Map<string, number[]>()
const idles = new Map<string, number[]>()
for (let r = 0; r <= rounds; r++) {
  for (const [name, run] of orderOf(r)) {
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
const load = (await import('node:os')).loadavg()[0]?.toFixed(2) ?? '?'
console.log(`${control ? 'A/A CONTROL (base lib on both sides); ' : ''}${count} records, ${rounds} rounds; ${process.version}; load ${load} at the end; main-thread CPU µs/record (min, median); main thread idle (median); records/s (median, range)`)
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
  const [lo, hi] = medianInterval(xs)
  const signed = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`
  return `${signed(median(xs))} µs/record [${Math.min(...xs).toFixed(2)} – ${Math.max(...xs).toFixed(2)}], 95% interval of the median ${Number.isFinite(lo) ? `${signed(lo)} – ${signed(hi)}` : 'none (too few rounds)'}, new lower in ${xs.filter((x) => x < 0).length} of ${xs.length}`
}
for (const row of rows.filter((r) => r !== 'limit')) console.log(`${row}: new ÷ base records/s ${ratio(`${row} new`, `${row} base`)}; main CPU new − base ${cpuDelta(row)}`)
