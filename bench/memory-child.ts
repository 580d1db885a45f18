// One memory measurement per process: peak RSS only means something when
// nothing else ran in the process before. Usage:
//   memory-child <feedBytes | objects> <level> [ours|dist|naive|per-run]
// BENCH_GZIP_THREADS=N in the environment sets gzip's threads (e.g. 1, the default before round 6) for an A/B of defaults;
// BENCH_LATENCY_MS=N delays every answer of the discarding client by N ms.
// Prints one JSON line: { impl, records, bytes, seconds, maxRssBytes, hwmBytes, resolvedHwmBytes, startRssBytes, outBytes }.
import './env.js'
import { readFileSync } from 'node:fs'
import { pipeline } from 'node:stream/promises'
import { createS3Sink } from '../lib/index.js'
import { discardClient } from './discard-client.js'
import { ours } from './ours.js'
import { naiveBatcher } from './baselines/naive-batcher.js'
import { generatedStream, meanRecordBytes } from './feed.js'

const [bytesArg = '200000000', levelArg = '6', impl = 'ours'] = process.argv.slice(2)
const target = Number(bytesArg)
const level = Number(levelArg)
const startRssBytes = process.memoryUsage.rss()
// Measured once, before the run: measuring it generates and serialises 20,000 records (~7 MB of garbage), which after the
// pipeline resolved added 3 MB to the process's peak that was the bench's own (bench/RESULTS.md, round 10 "memend").
const meanBytes = impl === 'per-run' ? NaN : meanRecordBytes()
const records = impl === 'per-run' ? target : Math.ceil(target / meanBytes)
// BENCH_LATENCY_MS=N: every answer N ms late, as a distant store's would be (parts then wait for their answers).
const { client, stats } = discardClient(Number(process.env.BENCH_LATENCY_MS ?? 0))

const t0 = process.hrtime.bigint()
let outBytes = 0
if (impl === 'naive') {
  outBytes = (await naiveBatcher(generatedStream(records), client, 'bench', level)).outBytes ?? 0
} else if (impl === 'per-run') {
  // The largest realistic per-Run feed: every Run its own object, default concurrency.
  const sink = createS3Sink({ type: 's3', bucket: 'bench', client })
  let objects = 0
  sink.on('object', (written: { bytes: number }) => { objects++; outBytes += written.bytes })
  await pipeline(generatedStream(records), sink)
  if (objects !== records) throw new Error(`stored ${objects} of ${records} objects`)
} else {
  // Default options everywhere but the gzip level: the memory target is about defaults.
  const threads = process.env.BENCH_GZIP_THREADS === undefined ? {} : { threads: Number(process.env.BENCH_GZIP_THREADS) }
  const work = await ours(generatedStream(records), client, 'bench', { level, ...threads })
  if (work.records !== records) throw new Error(`delivered ${work.records} of ${records} records`)
  outBytes = work.outBytes ?? 0
}
const seconds = Number(process.hrtime.bigint() - t0) / 1e9
// The peak of the run itself, before the bench's own end work (checks, the result line, the sampler's file, exit).
const resolvedHwmBytes = highWaterMark()
if (stats.bodyBytes < outBytes) throw new Error(`the client got ${stats.bodyBytes} bytes of ${outBytes}`)
client.destroy()
process.stdout.write(JSON.stringify({
  impl,
  records,
  bytes: impl === 'per-run' ? outBytes : Math.round(records * meanBytes),
  seconds,
  maxRssBytes: process.resourceUsage().maxRSS * 1024,
  hwmBytes: highWaterMark(),
  resolvedHwmBytes,
  startRssBytes,
  outBytes
}) + '\n')

/**
 * VmHWM: the peak RSS of this process image alone (Linux). Unlike
 * `ru_maxrss`, it does not carry over what the process that spawned us had.
 */
function highWaterMark (): number | null {
  try {
    const kb = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
    return kb === undefined ? null : Number(kb) * 1024
  } catch {
    return null
  }
}
