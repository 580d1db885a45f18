// CPU per object of the per-Run sink against hand-written PutObject loops, in
// one process, variants interleaved round by round (every other round
// reversed), into the discarding client: no wire, so every microsecond is
// the client's. CPU time per object is the figure least moved by other load;
// the minimum and the median over rounds are printed.
//   node --import tsx bench/per-run-cost.ts [objects=3000] [rounds=6] [variants=loop-string,loop-buffer,sink]
// Variants: loop-string / loop-buffer (a PutObject per Run with the body as a
// string / a Buffer, 8 in flight), loop-signal (loop-buffer with an
// AbortController per object, its signal passed to send()), loop-job (the
// loop sending through the sink's UploadJob: its retries, lost-answer checks
// and cancellation, no stream, no pool), sink (createS3Sink() with default options).
import './env.js'
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { putObjectLoop } from './baselines/put-object-loop.js'
import { systemClock } from '../lib/clock.js'
import { UploadJob } from '../lib/internal/upload-job.js'
import { createS3Sink } from '../lib/sinks/create-s3-sink.js'
import { discardClient } from './discard-client.js'
import { recordPool } from './feed.js'
import { median } from './measure.js'
import { perRunSink } from './per-run.js'

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
  'loop-job': async () => await loop(discard().client, async (client, body, Key) => {
    const job = new UploadJob({
      client,
      params: { ContentType: 'application/json', Bucket: 'bench', Key },
      body,
      partSize: Math.max(5 * 1024 * 1024, body.length),
      queueSize: 1,
      abortTimeout: 1000,
      retry: { retryFor: 900_000, maxAttempts: Infinity, clock: systemClock, random: Math.random },
      onRetry: () => {}
    })
    await job.settled
    if (!job.ok) throw job.failure
  }),
  sink: async () => await perRunSink(createS3Sink as never, pool, objects, { type: 's3', bucket: 'bench', client: discard().client, prefix: `r${run++}` })
}
/** 8 workers, one object per record, each sent by `put`. */
async function loop (client: S3Client, put: (client: S3Client, body: Buffer, key: string) => Promise<void>): Promise<void> {
  let next = 0
  const prefix = `v${run++}`
  const worker = async (): Promise<void> => {
    while (next < objects) {
      const i = next++
      await put(client, Buffer.from(JSON.stringify(pool[i % pool.length])), `${prefix}/${i}.json`)
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  client.destroy()
}

const names = variantsArg.split(',')
for (const name of names) {
  const n = /^sink-c(\d+)$/.exec(name)?.[1]
  if (n !== undefined) VARIANTS[name] = async () => await perRunSink(createS3Sink as never, pool, objects, { type: 's3', bucket: 'bench', client: discard().client, prefix: `r${run++}`, concurrency: Number(n) })
}
for (const name of names) if (VARIANTS[name] === undefined) throw new Error(`unknown variant ${name}; one of ${Object.keys(VARIANTS).join(', ')}`)

const cpu = new Map<string, number[]>(names.map((n) => [n, []]))
const rate = new Map<string, number[]>(names.map((n) => [n, []]))
// Warm-up: JIT and the SDK's first-call costs stay out of the figures.
for (const name of names) await VARIANTS[name]?.()
for (let round = 0; round < rounds; round++) {
  for (const name of round % 2 === 0 ? names : [...names].reverse()) {
    const gc = (globalThis as { gc?: () => void }).gc
    if (gc !== undefined) gc()
    const c0 = process.cpuUsage()
    const t0 = process.hrtime.bigint()
    await VARIANTS[name]?.()
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9
    const c = process.cpuUsage(c0)
    cpu.get(name)?.push((c.user + c.system) / objects)
    rate.get(name)?.push(objects / seconds)
  }
}
const base = names[0] as string
console.log(`${objects} objects per run, ${rounds} rounds, Node ${process.version}, answers after ${latency} ms; CPU µs/object (min / median), objects/s (median), median CPU vs ${base}`)
for (const name of names) {
  const c = cpu.get(name) ?? []
  console.log(`${name.padEnd(12)} ${Math.min(...c).toFixed(0).padStart(5)} / ${median(c).toFixed(0).padStart(5)} µs   ${Math.round(median(rate.get(name) ?? [])).toLocaleString('en-US').padStart(6)} /s   ${(median(c) / median(cpu.get(base) ?? [])).toFixed(2)}x`)
}
