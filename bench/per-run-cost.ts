// CPU per object of the per-Run sink against hand-written PutObject loops, in
// one process, variants interleaved round by round (every other round
// reversed), into the discarding client: no wire, so every microsecond is
// the client's. CPU time per object is the figure least moved by other load;
// the minimum and the median over rounds are printed, with the main thread's
// own CPU (V8's helper threads left out) and the GC pauses per object.
//   node --expose-gc --import tsx bench/per-run-cost.ts [objects=3000] [rounds=6] [variants=loop-string,loop-buffer,sink]
// Variants: loop-string / loop-buffer (a PutObject per Run with the body as a
// string / a Buffer, 8 in flight), loop-signal (loop-buffer with an
// AbortController per object, its signal passed to send()), loop-crc
// (loop-buffer sending its own CRC32 and length), loop-cached (loop-buffer on a
// client with cacheMiddleware), loop-job (the loop sending through the sink's
// PutJob: its retries and outcome bookkeeping, no stream, no pool),
// loop-stream / loop-stream16 (the feed piped into a bare Writable that keeps 8
// PutObjects in flight, highWaterMark 2 / 16), feed-only / feed-async (the feed
// into a Writable that only serializes), sink (createS3Sink() with default
// options), sink-cN (the same with concurrency N), loop-null / sink-null (a
// client whose send() costs nothing: each side's own cost per object).
// PER_RUN_BASE=/other/checkout/lib/sinks/create-s3-sink.ts adds sink-base and
// sink-base-null: another version of the sink, A/B in the same process.
import './env.js'
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { crc32 } from 'node:zlib'
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { nullClient, putLoopWith, putObjectLoop, type PutOne } from './baselines/put-object-loop.js'
import { streamLoop } from './baselines/stream-loop.js'
import { systemClock } from '../lib/clock.js'
import { PutJob, type PutJobSettings } from '../lib/internal/put-job.js'
import { createS3Sink, RUN_CONCURRENCY } from '../lib/sinks/create-s3-sink.js'
import { createUploadClient } from '../lib/internal/s3-client.js'
import { procCpuMs } from './proc-cpu.js'
import { heapWork } from './per-run-allocation.js'
import { startBenchS3rver } from './s3rver.js'
import { discardClient } from './discard-client.js'
import { feedStream, recordPool } from './feed.js'
import { median } from './measure.js'
import { perRunSink } from './per-run.js'
import { VariantProfiles } from './variant-profiles.js'

const [objectsArg = '3000', roundsArg = '6', variantsArg = 'loop-string,loop-buffer,sink'] = process.argv.slice(2)
const objects = Number(objectsArg)
const rounds = Number(roundsArg)
const pool = recordPool(100_000)
const latency = Number(process.env.LATENCY_MS ?? 0)
const discard = (): ReturnType<typeof discardClient> => discardClient(latency)
let run = 0

const VARIANTS: Record<string, () => Promise<unknown>> = {
  'loop-string': async () => await putObjectLoop(pool, objects, discard().client, 'bench', 8, 'string'),
  'loop-buffer': async () => await putObjectLoop(pool, objects, discard().client, 'bench', 8, 'buffer'),
  'loop-cached': async () => {
    const { client } = discard()
    ;(client.config as { cacheMiddleware?: boolean }).cacheMiddleware = true
    await loop(client, async (c, Body, Key) => { await c.send(new PutObjectCommand({ Bucket: 'bench', Key, Body, ContentType: 'application/json' })) })
  },
  'loop-signal': async () => await loop(discard().client, async (client, Body, Key) => {
    await client.send(new PutObjectCommand({ Bucket: 'bench', Key, Body, ContentType: 'application/json' }), { abortSignal: new AbortController().signal })
  }),
  'loop-job': async () => {
    const { client } = discard()
    const settings = jobSettings(client)
    await loop(client, async (_client, body, Key) => {
      const job = new PutJob(settings, Key, body)
      await job.settled
      if (!job.ok) throw job.failure
    })
  },
  'loop-crc': async () => await loop(discard().client, async (client, Body, Key) => {
    await client.send(new PutObjectCommand({ Bucket: 'bench', Key, Body, ContentType: 'application/json', ContentLength: Body.length, ChecksumCRC32: crc32Of(Body) }))
  }),
  'loop-stream': async () => await streamLoopOnce(2),
  'loop-stream16': async () => await streamLoopOnce(16),
  'feed-only': async () => { await pipeline(feedStream(pool, objects), new Writable({ objectMode: true, highWaterMark: 2, write (r, _e, cb) { Buffer.from(JSON.stringify(r)); cb() } })) },
  'feed-async': async () => { await pipeline(feedStream(pool, objects), new Writable({ objectMode: true, highWaterMark: 2, write (r, _e, cb) { Buffer.from(JSON.stringify(r)); setImmediate(cb) } })) },
  // A client whose send() costs nothing: what is left is each side's own cost per object, without the SDK's noise.
  'loop-null': async () => await loop(nullClient(), async (client, Body, Key) => { await client.send(new PutObjectCommand({ Bucket: 'bench', Key, Body, ContentType: 'application/json' })) }),
  'sink-null': async () => await perRunSink(createS3Sink as never, pool, objects, { type: 's3', bucket: 'bench', client: nullClient(), prefix: `r${run++}` }),
  sink: async () => await perRunSink(createS3Sink as never, pool, objects, { type: 's3', bucket: 'bench', client: discard().client, prefix: `r${run++}` })
}
function jobSettings (client: S3Client): PutJobSettings {
  return {
    client,
    params: { ContentType: 'application/json', Bucket: 'bench' },
    cancel: new AbortController(),
    abortTimeout: 1000,
    retry: { retryFor: 900_000, maxAttempts: Infinity, clock: systemClock, random: Math.random },
    onRetry: () => {}
  }
}
function crc32Of (body: Buffer): string {
  const b = Buffer.allocUnsafe(4)
  b.writeUInt32BE(crc32(body))
  return b.toString('base64')
}
/** The feed piped into a bare Writable that keeps 8 PutObjects in flight, on a fresh discarding client. */
async function streamLoopOnce (highWaterMark: number): Promise<void> {
  const { client } = discard()
  await streamLoop(pool, objects, client, `s${run++}`, highWaterMark)
  client.destroy()
}
/** 8 workers, one object per record, each sent by `put`; then the client is closed. */
async function loop (client: S3Client, put: PutOne): Promise<void> {
  await putLoopWith(pool, objects, client, `v${run++}`, put)
  client.destroy()
}

// Into s3rver (its own process, same two cores): the sink on its own client, the loop on a client built the same way.
const server = variantsArg.includes('s3rver') ? await startBenchS3rver() : null
if (server !== null) {
  await server.createBucket('bench')
  VARIANTS['s3rver-loop'] = async () => {
    const client = createUploadClient(server.config, 'bench')
    await putObjectLoop(pool, objects, client, 'bench', RUN_CONCURRENCY)
    client.destroy()
  }
  VARIANTS['s3rver-sink'] = async () => await perRunSink(createS3Sink as never, pool, objects, { type: 's3', bucket: 'bench', ...server.config, prefix: `r${run++}` })
}
// A/B against another checkout in the same process: PER_RUN_BASE=/path/to/other/lib/sinks/create-s3-sink.ts adds `sink-base`.
const other = process.env.PER_RUN_BASE
if (other !== undefined) {
  const create = (await import(other) as { createS3Sink: typeof createS3Sink }).createS3Sink
  VARIANTS['sink-base'] = async () => await perRunSink(create as never, pool, objects, { type: 's3', bucket: 'bench', client: discard().client, prefix: `r${run++}` })
  VARIANTS['sink-base-null'] = async () => await perRunSink(create as never, pool, objects, { type: 's3', bucket: 'bench', client: nullClient(), prefix: `r${run++}` })
}
const names = variantsArg.split(',')
for (const name of names) {
  const n = /^sink-c(\d+)$/.exec(name)?.[1]
  if (n !== undefined) VARIANTS[name] = async () => await perRunSink(createS3Sink as never, pool, objects, { type: 's3', bucket: 'bench', client: discard().client, prefix: `r${run++}`, concurrency: Number(n) })
}
for (const name of names) if (VARIANTS[name] === undefined) throw new Error(`unknown variant ${name}; one of ${Object.keys(VARIANTS).join(', ')}`)

const cpu = new Map<string, number[]>(names.map((n) => [n, []]))
// Time in GC pauses on the main thread (the CPU figure also holds V8's helper threads).
const gcTime = new Map<string, number[]>(names.map((n) => [n, []]))
let gcMs = 0
// CPU of the main thread alone (Linux): V8's helper threads (concurrent marking, parallel scavenges) are left out.
const mainCpu = new Map<string, number[]>(names.map((n) => [n, []]))
const serverCpu = new Map<string, number[]>(names.map((n) => [n, []]))
const mainThreadMs = (): number => procCpuMs(process.pid, process.pid)
// The forced collections between rounds are left out (they arrive late, in the next round).
const gcObserver = new PerformanceObserver((list) => {
  for (const e of list.getEntries()) {
    const flags = (e as { detail?: { flags?: number } }).detail?.flags ?? 0
    if ((flags & perfConstants.NODE_PERFORMANCE_GC_FLAGS_FORCED) === 0) gcMs += e.duration
  }
})
gcObserver.observe({ entryTypes: ['gc'] })
const rate = new Map<string, number[]>(names.map((n) => [n, []]))
// Heap bytes allocated and promoted per object: the same whatever the load, so they separate variants a busy machine's CPU figures cannot.
const allocated = new Map<string, number[]>(names.map((n) => [n, []]))
const promoted = new Map<string, number[]>(names.map((n) => [n, []]))
// PER_RUN_PROFILE=a,b: each round profiled alone, then where b's main thread spends more than a's.
const profilePair = process.env.PER_RUN_PROFILE?.split(',')
const profiles = profilePair === undefined ? null : await VariantProfiles.start()
// Warm-up: JIT and the SDK's first-call costs stay out of the figures.
for (const name of names) await VARIANTS[name]?.()
for (let round = 0; round < rounds; round++) {
  for (const name of round % 2 === 0 ? names : [...names].reverse()) {
    const gc = (globalThis as { gc?: () => void }).gc
    if (gc !== undefined) gc()
    const g0 = gcMs
    const m0 = mainThreadMs()
    const s0 = procCpuMs(server?.pid)
    const c0 = process.cpuUsage()
    const t0 = process.hrtime.bigint()
    const work = async (): Promise<unknown> => await VARIANTS[name]?.()
    const heap = await heapWork(async () => { await (profiles === null ? work() : profiles.around(name, work)) })
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9
    const c = process.cpuUsage(c0)
    mainCpu.get(name)?.push((mainThreadMs() - m0) * 1000 / objects)
    serverCpu.get(name)?.push((procCpuMs(server?.pid) - s0) * 1000 / objects)
    await new Promise((resolve) => setImmediate(resolve))
    gcTime.get(name)?.push((gcMs - g0) * 1000 / objects)
    cpu.get(name)?.push((c.user + c.system) / objects)
    rate.get(name)?.push(objects / seconds)
    allocated.get(name)?.push(heap.allocated / objects)
    promoted.get(name)?.push(heap.promoted / objects)
  }
}
const base = names[0] as string
/** Median over rounds of `name`'s main-thread CPU ÷ the first variant's in the same round, ± half the spread of those ratios. */
function paired (name: string): string {
  const a = mainCpu.get(base) ?? []
  const ratios = (mainCpu.get(name) ?? []).map((v, i) => v / (a[i] ?? NaN)).filter(Number.isFinite).sort((x, y) => x - y)
  if (ratios.length === 0) return ''
  const spread = ((ratios.at(-1) ?? 0) - (ratios[0] ?? 0)) / 2 / median(ratios)
  return `${median(ratios).toFixed(2)}x ±${(spread * 100).toFixed(0)}%`
}
console.log(`${objects} objects per run, ${rounds} rounds, Node ${process.version}, answers after ${latency} ms; CPU µs/object (min / median), objects/s (median), median CPU vs ${base}, main thread's CPU µs/object (median; paired ratio to ${base} per round), GC pauses µs/object (median), heap KB allocated / promoted per object (median)${server === null ? '' : ', s3rver\'s CPU µs/object (median)'}`)
for (const name of names) {
  const c = cpu.get(name) ?? []
  console.log(`${name.padEnd(12)} ${Math.min(...c).toFixed(0).padStart(5)} / ${median(c).toFixed(0).padStart(5)} µs   ${Math.round(median(rate.get(name) ?? [])).toLocaleString('en-US').padStart(6)} /s   ${(median(c) / median(cpu.get(base) ?? [])).toFixed(2)}x   ${median(mainCpu.get(name) ?? []).toFixed(0).padStart(5)} µs main (${paired(name)})   ${median(gcTime.get(name) ?? []).toFixed(0).padStart(4)} µs   ${(median(allocated.get(name) ?? []) / 1024).toFixed(1).padStart(5)} / ${(median(promoted.get(name) ?? []) / 1024).toFixed(2)} KB${name.startsWith('s3rver') ? `   s3rver ${median(serverCpu.get(name) ?? []).toFixed(0)} µs` : ''}`)
}
await server?.close()
if (profiles !== null && profilePair !== undefined) profiles.diff(profilePair[0] ?? '', profilePair[1] ?? '', objects * rounds)
