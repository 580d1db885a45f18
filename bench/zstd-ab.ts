// zstd as one frame compressed one pool job per block (the default) against a frame per block (rounds 6-8's default,
// which node:zlib's decoder reads only the first frame of), node:zlib's zstd stream and one gzip stream, same pipeline, interleaved.
// Per variant also the main thread's CPU per record (process.threadCpuUsage, Node >= 23.9; "n/a" before) and the share
// of the run it sat idle in the event loop (eventLoopUtilization): the zstd rows are bound by that thread, so
// idle near 0 says it never waited for the pool; a wall time above its CPU then is other load on the cores.
// "blocks copied" is the default frame with the window's slabs refused (round 10): its blocks are copied out of the
// window's chunks as before, so the pair prices the copy (and the chunks' allocation) alone, main CPU paired per round.
//   node --import tsx bench/zstd-ab.ts [records=150000] [rounds=5] [variants=all, or name prefixes split by ';']
import './env.js'
import { performance } from 'node:perf_hooks'
import { createGzip } from 'node:zlib'
import { createZstd } from '../lib/internal/zstd.js'
import { ZstdFrame } from '../lib/internal/zstd-frame.js'
import { FramePerBlockZstd } from './baselines/frame-per-block-zstd.js'
import { discardClient } from './discard-client.js'
import { feedStream, recordPool } from './feed.js'
import { oursWithEncoder } from './ours.js'

const [countArg = '150000', roundsArg = '5', onlyArg] = process.argv.slice(2)
const count = Number(countArg)
const pool = recordPool(100_000)
const variants: Record<string, () => import('node:stream').Transform> = {
  'gzip 6, one stream': () => createGzip({ level: 6, chunkSize: 64 * 1024 }),
  'zstd 3, stream on the pool': () => createZstd(3, 64 * 1024),
  'zstd 3, one frame, a job per block': () => new ZstdFrame({ level: 3, blockSize: 1024 * 1024 }),
  'zstd 3, one frame, blocks copied': () => {
    const z = new ZstdFrame({ level: 3, blockSize: 1024 * 1024 })
    z.removeAllListeners('pipe') // the body is then never asked for slabs
    return z
  },
  'zstd 3, a frame per block': () => new FramePerBlockZstd({ level: 3, blockSize: 1024 * 1024, blocksInFlight: 2 })
}
const rates: Record<string, number[]> = {}
const mains: Record<string, number[]> = {}
const idles: Record<string, number[]> = {}
const sizes: Record<string, number> = {}
const threadCpuUsage = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage
/** Main-thread CPU so far in µs, NaN where Node cannot tell it apart from the pool's. */
const mainCpu = (): number => {
  if (threadCpuUsage === undefined) return NaN
  const u = threadCpuUsage.call(process)
  return u.user + u.system
}
if (onlyArg !== undefined) {
  const prefixes = onlyArg.split(';')
  for (const name of Object.keys(variants)) if (!prefixes.some((p) => name.startsWith(p))) delete variants[name]
}
for (let round = 0; round < Number(roundsArg) + 1; round++) {
  const names = Object.keys(variants)
  for (const name of round % 2 === 0 ? names : names.reverse()) {
    const { client } = discardClient()
    const m0 = mainCpu()
    const e0 = performance.eventLoopUtilization()
    const t0 = process.hrtime.bigint()
    const work = await oursWithEncoder(feedStream(pool, count), client, 'bench', variants[name] as () => import('node:stream').Transform, name.startsWith('zstd') ? 'zstd' : 'gzip')
    const s = Number(process.hrtime.bigint() - t0) / 1e9
    if (round > 0) {
      (rates[name] ??= []).push(work.records / s)
      ;(mains[name] ??= []).push((mainCpu() - m0) / work.records)
      ;(idles[name] ??= []).push(performance.eventLoopUtilization(e0).idle / (s * 1000))
    }
    sizes[name] = work.outBytes ?? 0
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const base = median(rates['gzip 6, one stream'] ?? [NaN])
const load = (await import('node:os')).loadavg()[0]?.toFixed(2) ?? '?'
console.log(`${count} records, ${roundsArg} rounds; ${process.version}; load ${load} at the end; medians; main: main-thread CPU µs/record, idle: its share of the run spent waiting`)
for (const [name, xs] of Object.entries(rates)) {
  const main = median(mains[name] as number[])
  const idle = median(idles[name] as number[])
  console.log(`${name.padEnd(36)} ${Math.round(median(xs)).toLocaleString('en').padStart(9)} rec/s  ${(median(xs) / base).toFixed(2)}x gzip  size ${(sizes[name] as number / (sizes['gzip 6, one stream'] as number)).toFixed(3)}x  main ${Number.isNaN(main) ? 'n/a' : main.toFixed(2)}  idle ${(100 * idle).toFixed(1)}%  [${xs.map((x) => Math.round(x / 1000)).join(' ')}]k`)
}
const inPlace = mains['zstd 3, one frame, a job per block']
const copied = mains['zstd 3, one frame, blocks copied']
if (inPlace !== undefined && copied !== undefined) {
  const xs = inPlace.map((x, i) => x - (copied[i] ?? NaN))
  const sign = (x: number): string => `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}`
  console.log(`blocks in place − copied, main CPU paired per round: ${sign(median(xs))} µs/record [${sign(Math.min(...xs))} – ${sign(Math.max(...xs))}], in place lower in ${xs.filter((x) => x < 0).length} of ${xs.length}`)
}
