// Parallel gzip's block size: compression ratio and cost per block size, on ready NDJSON, variants interleaved in
// one process (rounds), against one zlib stream. CPU of the whole process (all threads: the pool's deflate work is
// most of it) is the figure that load disturbs least. With BENCH_PIPELINE=1, the whole batched pipeline into a
// discarding client instead of gzip alone (records/s is then the figure). Usage:
//   node --import tsx bench/block-size.ts [records=150000] [rounds=3] [blocks KiB=1024,512,256,128] [level=6] [threads=2]
import './env.js'
import { createGzip } from 'node:zlib'
import { gzipOnly, ndjsonChunks } from './baselines/limit.js'
import { discardClient } from './discard-client.js'
import { feedStream, recordPool } from './feed.js'
import { oursWithEncoder } from './ours.js'
import { median, spreadPct } from './measure.js'
import { procCpuMs } from './proc-cpu.js'
import { ParallelGzip } from '../lib/internal/parallel-gzip.js'

const [recordsArg = '150000', roundsArg = '3', blocksArg = '1024,512,256,128', levelArg = '6', threadsArg = '2'] = process.argv.slice(2)
const level = Number(levelArg)
const threads = Number(threadsArg)
const records = Number(recordsArg)
const pipelined = process.env.BENCH_PIPELINE === '1'
const pool = recordPool(Math.min(records, 200_000))
const chunks = pipelined ? [] : ndjsonChunks(pool, pool.length)
const inBytes = chunks.reduce((n, c) => n + c.length, 0)
const variants: Array<{ name: string, make: () => ReturnType<typeof createGzip> | ParallelGzip }> = [
  { name: 'one stream', make: () => createGzip({ level }) },
  ...blocksArg.split(',').map((k) => ({
    name: `${k} KiB x ${threads}`,
    make: () => new ParallelGzip({ level, blockSize: Number(k) * 1024, blocksInFlight: threads })
  }))
]
const run = async (make: () => ReturnType<typeof createGzip> | ParallelGzip): Promise<number> => {
  if (!pipelined) return (await gzipOnly(chunks, level, make)).outBytes ?? 0
  const work = await oursWithEncoder(feedStream(pool, records), discardClient().client, 'bench', make)
  if (work.records !== records) throw new Error(`delivered ${work.records} of ${records}`)
  return work.outBytes ?? 0
}
const seen = new Map<string, { wall: number[], cpu: number[], main: number[], out: number }>()
for (let round = 0; round < Number(roundsArg); round++) {
  for (const v of variants) {
    const cpu0 = process.cpuUsage()
    const main0 = procCpuMs(process.pid, process.pid)
    const t0 = process.hrtime.bigint()
    const outBytes = await run(v.make)
    const wall = Number(process.hrtime.bigint() - t0) / 1e6
    const cpu = process.cpuUsage(cpu0)
    const s = seen.get(v.name) ?? { wall: [], cpu: [], main: [], out: outBytes }
    s.wall.push(wall)
    s.cpu.push((cpu.user + cpu.system) / 1000)
    s.main.push(procCpuMs(process.pid, process.pid) - main0)
    seen.set(v.name, s)
  }
}
const base = seen.get('one stream')
console.log(pipelined ? `pipeline → discarding client, ${records} records` : `${(inBytes / 1e6).toFixed(1)} MB of NDJSON`, `level ${level}, ${roundsArg} rounds, Node ${process.version}`)
console.log(`| variant | size ÷ one stream | wall ms (median ±spread) | process CPU ms | main-thread CPU ms |${pipelined ? ' records/s ÷ one stream |' : ''}`)
console.log(`|---|---:|---:|---:|---:|${pipelined ? '---:|' : ''}`)
for (const [name, s] of seen) {
  const ratio = base === undefined ? NaN : s.out / base.out
  console.log(`| ${name} | ${ratio.toFixed(5)}x | ${median(s.wall).toFixed(0)} ±${spreadPct(s.wall).toFixed(0)}% | ${median(s.cpu).toFixed(0)} ±${spreadPct(s.cpu).toFixed(0)}% | ${median(s.main).toFixed(0)} |${pipelined && base !== undefined ? ` ${(median(base.wall) / median(s.wall)).toFixed(2)}x |` : ''}`)
}
