// One worker of the scale-out bench, forked by bench/scale.ts. Loads
// everything, warms the pipeline up (its stages, gzip and the SDK, on
// records from memory into the discarding client: a worker runs for hours,
// so its JIT warm-up is not what a short run should bill it for), says
// `ready`, starts on `go`: a log source (or, for the
// single-process baseline, the records from memory) → filterApis →
// minuteWindow → gzip → s3Writable, into the discarding client or s3rver.
// On `stop` (the parent saw the group settled) it stops reading and closes;
// once its pipeline has ended it reports its CPU time since `go`.
import './env.js'
import { pipeline } from 'node:stream/promises'
import type { Readable } from 'node:stream'
import { S3Client } from '@aws-sdk/client-s3'
import { filterApis, gzip, minuteWindow, natsJetStreamSource, redisStreamSource, s3Writable, type ObjectWritten } from '../lib/index.js'
import { discardClient } from './discard-client.js'
import { feedStream, recordPool } from './feed.js'

/** What the parent asks of one worker. */
export interface ScaleWorkerJob {
  source: { kind: 'redis', url: string, stream: string, group: string } | { kind: 'nats', url: string, stream: string, durable: string } | { kind: 'memory', records: number }
  /** s3rver's endpoint, or `'discard'` for the in-process discarding client. */
  target: string
  name: string
  windowMs: number
  maxRecords: number
}

/** What a worker reports once stopped. */
export interface ScaleWorkerReport { records: number, objects: number, cpu: number, seconds: number }

const WARM_UP = 20_000
const job = JSON.parse(process.argv[2] ?? '{}') as ScaleWorkerJob
const stop = new AbortController()
const client = job.target === 'discard'
  ? discardClient().client
  : new S3Client({ endpoint: job.target, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } })
// The baseline's records are made before `go`, as the log's were written before it.
const pool = job.source.kind === 'memory' ? recordPool(Math.min(job.source.records, 100_000)) : []

function makeSource (): Readable & { close?: () => Promise<void> } {
  const s = job.source
  if (s.kind === 'redis') return redisStreamSource({ url: s.url, stream: s.stream, group: s.group, consumer: job.name, signal: stop.signal })
  if (s.kind === 'nats') return natsJetStreamSource({ url: s.url, stream: s.stream, durable: s.durable, name: job.name, signal: stop.signal })
  return feedStream(pool, s.records)
}

async function run (): Promise<ScaleWorkerReport> {
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const source = makeSource()
  const sink = s3Writable({ bucket: 'bench-scale', client, prefix: `${job.name}/` })
  let records = 0
  let objects = 0
  sink.on('object', (written: ObjectWritten) => {
    records += written.records
    objects++
  })
  try {
    await pipeline(source, filterApis(), minuteWindow({ windowMs: job.windowMs, maxRecords: job.maxRecords }), gzip(), sink)
  } finally {
    await source.close?.()
  }
  const cpu = process.cpuUsage(cpu0)
  return { records, objects, cpu: (cpu.user + cpu.system) / 1e6, seconds: Number(process.hrtime.bigint() - t0) / 1e9 }
}

process.on('message', (message: string) => {
  if (message === 'go') void run().then((report) => { process.send?.({ report }) }, (err: unknown) => { process.send?.({ error: String(err) }) })
  else if (message === 'stop') stop.abort()
})
process.on('disconnect', () => { process.exit(0) })
await pipeline(feedStream(recordPool(WARM_UP), WARM_UP), filterApis(), minuteWindow({ windowMs: job.windowMs, maxRecords: job.maxRecords }), gzip(), s3Writable({ bucket: 'warm-up', client: discardClient().client }))
process.send?.('ready')
