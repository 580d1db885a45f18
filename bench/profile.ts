// One row, alone, with the V8 CPU profiler (the one behind --cpu-prof)
// running only while the row is timed, so setup and module loading stay out:
//   tsx bench/profile.ts ours [records] [level] [out.cpuprofile]
//   tsx bench/cpuprofile-top.ts out.cpuprofile
// Rows: ours (→ discarding client, defaults), t1 / t2 (gzip threads), zstd (level = zstd's), limit, ndjson;
// per-run and loop-8 (one object per record, 8 in flight, → discarding client; records = objects).
import './env.js'
import { writeFile } from 'node:fs/promises'
import { Session } from 'node:inspector/promises'
import { limit } from './baselines/limit.js'
import { ndjsonGzip } from './baselines/ndjson-gzip.js'
import { putObjectLoop } from './baselines/put-object-loop.js'
import { createS3Sink } from '../lib/sinks/create-s3-sink.js'
import { perRunSink } from './per-run.js'
import { discardClient } from './discard-client.js'
import { timed } from './measure.js'
import { ours } from './ours.js'
import { feedStream, recordPool } from './feed.js'

const [row = 'ours', recordsArg = '300000', levelArg = '6', out = `${row}.cpuprofile`] = process.argv.slice(2)
const count = Number(recordsArg)
const level = Number(levelArg)
const pool = recordPool(100_000)
const runs: Record<string, () => Promise<{ records: number, bytes: number }>> = {
  ours: async () => await ours(feedStream(pool, count), discardClient().client, 'bench', { level }),
  t1: async () => await ours(feedStream(pool, count), discardClient().client, 'bench', { level, threads: 1 }),
  t2: async () => await ours(feedStream(pool, count), discardClient().client, 'bench', { level, threads: 2 }),
  zstd: async () => await ours(feedStream(pool, count), discardClient().client, 'bench', { level, compression: 'zstd' }),
  limit: async () => await limit(pool, count, level),
  ndjson: async () => await ndjsonGzip(pool, count, level),
  'per-run': async () => await perRunSink(createS3Sink as never, pool, count, { type: 's3', bucket: 'bench', client: discardClient().client }),
  'loop-8': async () => await putObjectLoop(pool, count, discardClient().client, 'bench', 8)
}
const run = runs[row]
if (run === undefined) throw new Error(`unknown row ${row}; one of ${Object.keys(runs).join(', ')}`)
// Untimed first pass: JIT and first-call costs stay out of the profile.
await run()
const session = new Session()
session.connect()
await session.post('Profiler.enable')
await session.post('Profiler.start')
const sample = await timed(run)
const { profile } = await session.post('Profiler.stop')
await writeFile(out, JSON.stringify(profile))
session.disconnect()
process.stderr.write(`${row}: ${Math.round(sample.records / sample.seconds).toLocaleString('en-US')} records/s, ${sample.seconds.toFixed(2)} s, CPU ${sample.cpu.toFixed(2)} s; profile in ${out}\n`)
