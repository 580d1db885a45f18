// Where the batched pipeline waits: per run, the wall time, the CPU of the
// main thread and of libuv's pool (from /proc/self/task), the main thread's
// event-loop utilization, and for every node:zlib stream (gzip, zstd, the
// parallel blocks) how long a chunk was "in" the stream (from _transform to
// its callback: the pool's work plus the wait for the main thread to run the
// pool's completion) and how long the stream sat with no input queued. The
// deflate worker threads of parallel gzip show as "worker" CPU.
//   node --import tsx bench/idle.ts [records=150000] [rounds=3] [rows=t1,t2,zstd]   (also: limit, none)
import './env.js'
import { readdirSync, readFileSync } from 'node:fs'
import { performance } from 'node:perf_hooks'
import * as zlib from 'node:zlib'
import { limit } from './baselines/limit.js'
import { discardClient } from './discard-client.js'
import { feedStream, recordPool } from './feed.js'
import { ours } from './ours.js'

const [countArg = '150000', roundsArg = '3', rowsArg = 't1,t2,zstd'] = process.argv.slice(2)
const count = Number(countArg)
const rounds = Number(roundsArg)
const pool = recordPool(100_000)

/** CPU µs so far of the main thread and of libuv's pool threads. */
function cpu (): { main: number, pool: number, other: number } {
  const out = { main: 0, pool: 0, other: 0 }
  for (const tid of readdirSync('/proc/self/task')) {
    try {
      const stat = readFileSync(`/proc/self/task/${tid}/stat`, 'utf8')
      const name = readFileSync(`/proc/self/task/${tid}/comm`, 'utf8').trim()
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      const us = (Number(fields[11]) + Number(fields[12])) * 10_000
      if (Number(tid) === process.pid) out.main += us
      else if (name.startsWith('libuv')) out.pool += us
      else if (!name.startsWith('V8')) out.other += us
    } catch { /* the thread ended */ }
  }
  return out
}

/** Chunk timing of every zlib stream: ZlibBase's _transform, wrapped once. */
const zstats = { chunks: 0, inStreamMs: 0, starvedMs: 0, queuedAtEnd: 0 }
const zlibBase = Object.getPrototypeOf(Object.getPrototypeOf(zlib.Gzip.prototype)) as { _transform: (chunk: Buffer, enc: string, cb: (...a: unknown[]) => void) => void }
const original = zlibBase._transform
const lastEnd = new WeakMap<object, number>()
zlibBase._transform = function (this: { writableLength: number }, chunk, enc, cb) {
  const start = performance.now()
  const prev = lastEnd.get(this)
  if (prev !== undefined) zstats.starvedMs += start - prev
  zstats.chunks++
  original.call(this, chunk, enc, (...args: unknown[]) => {
    const end = performance.now()
    zstats.inStreamMs += end - start
    if (this.writableLength - chunk.length > 0) {
      zstats.queuedAtEnd++
      lastEnd.delete(this)
    } else lastEnd.set(this, end)
    cb(...args)
  })
}

const runs: Record<string, () => Promise<unknown>> = {
  limit: async () => await limit(pool, count, 6),
  t1: async () => await ours(feedStream(pool, count), discardClient().client, 'bench', { level: 6, threads: 1 }),
  t2: async () => await ours(feedStream(pool, count), discardClient().client, 'bench', { level: 6, threads: 2 }),
  zstd: async () => await ours(feedStream(pool, count), discardClient().client, 'bench', { level: 3, compression: 'zstd' }),
  none: async () => await ours(feedStream(pool, count), discardClient().client, 'bench', { compression: 'none' })
}
const rows = rowsArg.split(',')
for (const row of rows) await runs[row]!() // warm-up
console.log(`${count} records; Node ${process.version}; per run: rec/s, wall µs/rec, main CPU µs/rec (busy %), main event loop busy %, pool CPU µs/rec, zlib chunks, ms a chunk was in a stream (per chunk), ms streams starved (per chunk), chunks with the next one queued`)
const rates = new Map<string, number[]>()
const ratios = new Map<string, number[]>()
for (let r = 0; r < rounds; r++) {
  const inRound = new Map<string, number>()
  for (const row of r % 2 === 0 ? rows : [...rows].reverse()) {
    Object.assign(zstats, { chunks: 0, inStreamMs: 0, starvedMs: 0, queuedAtEnd: 0 })
    const c0 = cpu()
    const elu0 = performance.eventLoopUtilization()
    const t0 = performance.now()
    await runs[row]!()
    const wallMs = performance.now() - t0
    inRound.set(row, count / wallMs * 1000)
    const elu = performance.eventLoopUtilization(elu0)
    const c1 = cpu()
    const per = (us: number): string => (us / count).toFixed(2)
    const main = c1.main - c0.main
    const load = (await import('node:os')).loadavg()[0]!.toFixed(1)
    console.log([
      row.padEnd(6), Math.round(count / wallMs * 1000).toLocaleString('en-US').padStart(8),
      `wall ${per(wallMs * 1000)}`, `main ${per(main)} (${Math.round(main / 10 / wallMs)}%)`, `elu ${Math.round(elu.utilization * 100)}%`,
      `pool ${per(c1.pool - c0.pool)}`, `worker ${per(c1.other - c0.other)}`, `chunks ${zstats.chunks}`,
      `in ${(zstats.inStreamMs / zstats.chunks).toFixed(2)}`, `starved ${(zstats.starvedMs / zstats.chunks).toFixed(2)}`, `queued ${zstats.queuedAtEnd}`, `load ${load}`
    ].join('  '))
  }
  for (const [row, rate] of inRound) {
    rates.set(row, [...rates.get(row) ?? [], rate])
    ratios.set(row, [...ratios.get(row) ?? [], rate / inRound.get(rows[0]!)!])
  }
}
const med = (a: number[]): number => [...a].sort((x, y) => x - y)[a.length >> 1]!
console.log(`\nmedian over ${rounds} rounds (load now ${(await import('node:os')).loadavg()[0]!.toFixed(1)}): rec/s, and the ratio to ${rows[0]} of the same round`)
for (const row of rows) console.log(`${row.padEnd(10)} ${Math.round(med(rates.get(row)!)).toLocaleString('en-US').padStart(9)}  ${med(ratios.get(row)!).toFixed(2)}x`)
