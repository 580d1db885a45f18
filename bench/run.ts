// `npm run bench`: every row of the benchmark in one run, as a Markdown table.
//   --full            bigger feeds, 3 rounds, level 1 rows too, memory at 200 MiB and 2 GiB
//   --level N         headline gzip level (default 6); --levels 6,1 to measure several
//   --records N       records per row; --objects N objects per per-Run row
//   --rounds N        repeats (rows interleaved per round)
//   --only a,b        run only the rows whose id starts with one of these ('scale': the scale-out table;
//                     'scale-kill': the kill test over 1M records, otherwise only with --full and no --only)
//   --no-memory       skip the memory children
//   --full-stalls     also the fault row whose stalls last until the 30 s socket timeout (on with --full)
//   --memory dist,cli only these memory children (dist, cli, ours, naive, per-run)
//   --memory-full     the memory children of --full (2 GiB and 200 MiB feeds, 100,000 per-Run objects) without the rest of --full
//   --out FILE        also write the report to FILE
//   --json FILE       also write the measurements as JSON (bench/plot.ts draws them)
import './env.js'
import { writeFile } from 'node:fs/promises'
import { parseArgs } from 'node:util'
import { execFile } from 'node:child_process'
import { promisify } from 'node:util'
import { startDiscardServer } from './discard-server.js'
import { measureMemory, type MemoryImpl } from './memory.js'
import { toJson } from './results-json.js'
import { timed, type Sample } from './measure.js'
import { meanRecordBytes, recordPool } from './feed.js'
import { load, renderReport, type MemoryRun } from './report.js'
import { buildRows } from './rows.js'
import { RUN_CONCURRENCY } from '../lib/sinks/create-s3-sink.js'
import { startBenchS3rver } from './s3rver.js'
import { measureScale, type ScaleResult } from './scale.js'
import { renderScale } from './scale-report.js'
import { benchKill, renderKill, type KillBenchResult } from './scale-kill.js'

const { values: args } = parseArgs({
  options: {
    full: { type: 'boolean', default: false },
    level: { type: 'string' },
    levels: { type: 'string' },
    'zstd-levels': { type: 'string' },
    records: { type: 'string' },
    objects: { type: 'string' },
    rounds: { type: 'string' },
    only: { type: 'string' },
    'no-memory': { type: 'boolean', default: false },
    'full-stalls': { type: 'boolean', default: false },
    memory: { type: 'string' },
    'memory-full': { type: 'boolean', default: false },
    out: { type: 'string' },
    json: { type: 'string' }
  }
})

const full = args.full === true
const MiB = 1024 * 1024
const settings = {
  count: Number(args.records ?? (full ? 600_000 : 150_000)),
  objects: Number(args.objects ?? (full ? 2000 : 800)),
  // Written once into each log; every configuration reads all of them.
  scaleRecords: full ? 300_000 : 60_000,
  killRecords: 1_000_000,
  rounds: Number(args.rounds ?? (full ? 3 : 2)),
  levels: (args.levels ?? args.level ?? (full ? '6,1' : '6')).split(',').map(Number),
  zstdLevels: (args['zstd-levels'] ?? (full ? '1,3,6' : '3')).split(',').map(Number),
  // Each list: the small feed first, the large one last (the flatness targets compare them).
  memory: (full || args['memory-full'] === true
    ? [['dist', 200 * MiB, '200 MiB'], ['dist', 2048 * MiB, '2 GiB'], ['cli', 200 * MiB, '200 MiB'], ['cli', 2048 * MiB, '2 GiB'],
        ['ours', 200 * MiB, '200 MiB'], ['ours', 2048 * MiB, '2 GiB'], ['naive', 200 * MiB, '200 MiB'], ['per-run', 100_000, '100,000 objects']]
    // Quick: short feeds, the CLI once (its flatness needs --full).
    : [['dist', 100 * MiB, '100 MiB'], ['dist', 400 * MiB, '400 MiB'], ['cli', 100 * MiB, '100 MiB'],
        ['naive', 20 * MiB, '20 MiB'], ['per-run', 5_000, '5,000 objects']]
  ).map(([impl, bytes, label]) => ({ impl: impl as MemoryImpl, bytes: bytes as number, label: label as string }))
}
for (const [name, value] of Object.entries({ records: settings.count, objects: settings.objects, rounds: settings.rounds })) {
  if (!Number.isInteger(value) || value < 1) throw new Error(`--${name} must be a positive integer`)
}
if (settings.levels.some((l) => !Number.isInteger(l) || l < 0 || l > 9)) throw new Error('--level(s) must be 0 to 9')

const started = process.hrtime.bigint()
const loadBefore = load()
const log = (text: string): void => { process.stderr.write(`${text}\n`) }
const exec = promisify(execFile)

// 100k distinct records (~36 MB of NDJSON): far past gzip's 32 KiB window, so cycling does not inflate the ratio.
const pool = recordPool(100_000)
const server = await startBenchS3rver()
const { rows, close } = await buildRows({
  pool, count: settings.count, objects: settings.objects, levels: settings.levels, zstdLevels: settings.zstdLevels, concurrency: RUN_CONCURRENCY, server, fullStalls: full || args['full-stalls'] === true
})
const only = args.only?.split(',')
const selected = only === undefined ? rows : rows.filter((row) => only.some((prefix) => row.id.startsWith(prefix)))
const samples = new Map<string, Sample[]>()
const scaleWanted = only === undefined || only.some((prefix) => 'scale'.startsWith(prefix))
// --only picks rows: with it, the kill test runs only when named.
const killWanted = only === undefined ? full : only.includes('scale-kill')
let scale: ScaleResult[] = []
let kill: KillBenchResult | undefined

try {
  // Warm-up: every row once on a fifth of its feed, so JIT, SDK first-call
  // costs and connection setup are not billed to round 1.
  log('warm-up')
  for (const row of selected) await row.run?.(Math.ceil(row.count / 5))

  for (let round = 1; round <= settings.rounds; round++) {
    // Every other round runs backwards, so no row always follows the same
    // neighbour (e.g. s3rver still flushing the previous row's objects).
    const order = round % 2 === 1 ? selected : [...selected].reverse()
    for (const row of order) {
      if (row.run === null) continue
      const run = row.run
      const sample = await timed(async () => await run(row.count))
      samples.set(row.id, [...samples.get(row.id) ?? [], sample])
      log(`round ${round}/${settings.rounds} ${row.id}: ${Math.round(sample.records / sample.seconds).toLocaleString('en-US')} /s (${sample.seconds.toFixed(2)} s)`)
    }
  }
  // Worker processes on one log: measured once each (every run reads the whole stream).
  if (scaleWanted) scale = await measureScale({ records: settings.scaleRecords, workers: [1, 2, 4], s3rver: server, log })
  if (killWanted) kill = await benchKill(settings.killRecords, log)
} finally {
  close()
  await server.close()
}

const memory: MemoryRun[] = []
if (args['no-memory'] !== true) {
  // The compiled children: dist/ for the CLI, and lib + bench compiled the same way for the library.
  log('building dist/ and the compiled memory children')
  await exec('npx', ['tsc', '-p', 'tsconfig.build.json'])
  await exec('npx', ['tsc', '-p', 'tsconfig.bench.json'])
  const discard = await startDiscardServer()
  try {
    const kinds = args.memory?.split(',')
    for (const m of settings.memory.filter((x) => kinds === undefined || kinds.includes(x.impl))) {
      log(`memory ${m.impl} ${m.label}`)
      memory.push({ label: m.label, impl: m.impl, target: m.bytes, result: await measureMemory(m.bytes, settings.levels[0] as number, m.impl, { endpoint: discard.endpoint }) })
    }
  } finally {
    await discard.close()
  }
}

const report = renderReport({
  mode: full ? 'full' : 'quick',
  rounds: settings.rounds,
  rows: selected,
  samples,
  memory,
  meanRecordBytes: meanRecordBytes(),
  loadBefore,
  loadAfter: load(),
  seconds: Number(process.hrtime.bigint() - started) / 1e9
})
const scaleReport = scale.length === 0 ? '' : `\n\n## Scale-out: worker processes on one log (${settings.scaleRecords.toLocaleString('en-US')} records)\n\n${renderScale(scale)}`
const killReport = kill === undefined ? '' : `\n\n## Kill test, ${settings.killRecords.toLocaleString('en-US')} records\n\n${renderKill(kill)}`
const fullReport = report + scaleReport + killReport
process.stdout.write(fullReport + '\n')
if (args.out !== undefined) await writeFile(args.out, fullReport + '\n')
if (args.json !== undefined) await writeFile(args.json, JSON.stringify(toJson(selected, samples, memory)) + '\n')
