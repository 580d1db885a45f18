// Scale-out bench (issue 9): records/s of 1, 2 and 4 worker processes
// sharing one Redis stream (consumer group) or one JetStream stream (durable
// pull consumer), into the discarding client and into s3rver, beside the
// single-process pipeline fed the same records from memory.
import { fork, type ChildProcess } from 'node:child_process'
import { once } from 'node:events'
import { readFile } from 'node:fs/promises'
import { fileURLToPath } from 'node:url'
import { AckPolicy, jetstream } from '@nats-io/jetstream'
import { startNats, type LocalNats } from '../spec/helpers/nats-server.js'
import { addRecords, startRedis, type LocalRedis } from '../spec/helpers/redis-server.js'
import { recordPool } from './feed.js'
import type { BenchS3rver } from './s3rver.js'
import type { ScaleWorkerJob, ScaleWorkerReport } from './scale-worker.js'

/** One measured configuration. */
export interface ScaleResult {
  log: 'redis' | 'nats' | 'memory'
  target: 'discard' | 's3rver'
  workers: number
  records: number
  /** From `go` until the log had every record acknowledged (memory: until the pipeline ended). */
  wall: number
  /** CPU seconds of the worker processes, summed. */
  workerCpu: number
  /** CPU seconds of redis-server / nats-server during the run. */
  serverCpu: number
  /** CPU seconds of s3rver's process during the run (0 for the discarding client). */
  s3Cpu: number
  objects: number
}

export interface ScaleOptions {
  records: number
  workers: readonly number[]
  s3rver: BenchS3rver
  log?: (text: string) => void
}

/** Bench batches: closed at 5,000 records or 500 ms, so a run's tail (its last, timer-closed window) is short. */
const WINDOW = { windowMs: 500, maxRecords: 5000 }
const WORKER = fileURLToPath(new URL('./scale-worker.ts', import.meta.url))

/** CPU seconds a process has used so far (Linux /proc; 0 elsewhere). */
async function cpuOf (pid: number | undefined): Promise<number> {
  if (pid === undefined) return 0
  try {
    const fields = (await readFile(`/proc/${pid}/stat`, 'utf8')).split(') ')[1]!.split(' ')
    return (Number(fields[11]) + Number(fields[12])) / 100
  } catch {
    return 0
  }
}

async function startWorker (job: ScaleWorkerJob): Promise<ChildProcess> {
  const child = fork(WORKER, [JSON.stringify(job)], { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'inherit', 'inherit', 'ipc'] })
  const [message] = await once(child, 'message') as [unknown]
  if (message !== 'ready') throw new Error(`scale worker: ${JSON.stringify(message)}`)
  return child
}

async function reportOf (child: ChildProcess): Promise<ScaleWorkerReport> {
  const [message] = await once(child, 'message') as [{ report?: ScaleWorkerReport, error?: string }]
  child.disconnect()
  if (message.report === undefined) throw new Error(`scale worker failed: ${message.error}`)
  return message.report
}

async function poll (check: () => Promise<boolean>): Promise<void> {
  while (!(await check())) await new Promise((resolve) => setTimeout(resolve, 20))
}

/**
 * Runs every configuration once and returns the measurements. The stream is
 * written once, before any timing; each run reads all of it through a group
 * (or durable consumer) of its own.
 *
 * @example
 * ```ts
 * const results = await measureScale({ records: 100_000, workers: [1, 2, 4], s3rver })
 * console.log(renderScale(results))
 * ```
 */
export async function measureScale (options: ScaleOptions): Promise<ScaleResult[]> {
  const { records, s3rver } = options
  const log = options.log ?? (() => {})
  await s3rver.createBucket('bench-scale')
  const pool = recordPool(Math.min(records, 100_000))
  const texts = Array.from({ length: records }, (_, i) => JSON.stringify(pool[i % pool.length]))
  const [redis, nats] = await Promise.all([startRedis(), startNats()])
  const results: ScaleResult[] = []
  let runs = 0
  try {
    log(`scale: writing ${records} records into the Redis stream and the JetStream stream`)
    await addRecords(redis.client, 'bench', texts)
    await nats.createStream('BENCH')
    const js = jetstream(nats.nc)
    for (let i = 0; i < texts.length; i += 1000) await Promise.all(texts.slice(i, i + 1000).map(async (t) => await js.publish('BENCH.records', t)))

    for (const target of ['discard', 's3rver'] as const) {
      const endpoint = target === 'discard' ? 'discard' : s3rver.endpoint
      for (const kind of ['memory', 'redis', 'nats'] as const) {
        for (const workers of kind === 'memory' ? [1] : options.workers) {
          const id = `r${++runs}`
          const result = await measureOne(kind, target, workers, id, { records, endpoint, redis, nats, s3Pid: target === 's3rver' ? s3rver.pid : undefined })
          log(`scale ${kind} → ${target}, ${workers} worker(s): ${Math.round(result.records / result.wall).toLocaleString('en-US')} records/s (${result.wall.toFixed(2)} s)`)
          results.push(result)
        }
      }
    }
  } finally {
    await Promise.all([redis.close(), nats.close()])
  }
  return results
}

interface RunContext { records: number, endpoint: string, redis: LocalRedis, nats: LocalNats, s3Pid: number | undefined }

async function measureOne (kind: ScaleResult['log'], target: ScaleResult['target'], workers: number, id: string, ctx: RunContext): Promise<ScaleResult> {
  const { redis, nats } = ctx
  let source: ScaleWorkerJob['source']
  let settled: () => Promise<boolean>
  if (kind === 'redis') {
    await redis.client.call('XGROUP', 'CREATE', 'bench', id, '0')
    source = { kind, url: redis.url, stream: 'bench', group: id }
    settled = async () => {
      const groups = await redis.client.xinfo('GROUPS', 'bench') as unknown[][]
      const info = groups.find((g) => g[g.indexOf('name') + 1] === id) ?? []
      const field = (name: string): number => Number(info[info.indexOf(name) + 1])
      return field('pending') === 0 && field('lag') === 0
    }
  } else if (kind === 'nats') {
    // The source's own defaults for a consumer it creates.
    await nats.jsm.consumers.add('BENCH', { durable_name: id, ack_policy: AckPolicy.Explicit, ack_wait: 30e9, max_ack_pending: 20_000 })
    source = { kind, url: nats.url, stream: 'BENCH', durable: id }
    settled = async () => {
      const info = await nats.jsm.consumers.info('BENCH', id)
      return info.num_pending === 0 && info.num_ack_pending === 0
    }
  } else {
    source = { kind, records: ctx.records }
    settled = async () => true
  }
  const children = await Promise.all(Array.from({ length: workers }, async (_, i) => await startWorker({ source, target: ctx.endpoint, name: `${id}w${i}`, ...WINDOW })))
  const serverPid = kind === 'redis' ? redis.pid : kind === 'nats' ? nats.pid : undefined
  const [server0, s30] = await Promise.all([cpuOf(serverPid), cpuOf(ctx.s3Pid)])
  const t0 = process.hrtime.bigint()
  const reports = children.map(reportOf)
  for (const child of children) child.send('go')
  if (kind === 'memory') await reports[0]
  else await poll(settled)
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  const [server1, s31] = await Promise.all([cpuOf(serverPid), cpuOf(ctx.s3Pid)])
  for (const child of children) if (child.connected) child.send('stop')
  const done = await Promise.all(reports)
  if (kind === 'redis') await redis.client.call('XGROUP', 'DESTROY', 'bench', id)
  if (kind === 'nats') await nats.jsm.consumers.delete('BENCH', id)
  const stored = done.reduce((sum, r) => sum + r.records, 0)
  if (stored < ctx.records) throw new Error(`scale ${kind} ${workers}: ${stored} of ${ctx.records} records stored`)
  return {
    log: kind,
    target,
    workers,
    records: ctx.records,
    wall: kind === 'memory' ? done[0]!.seconds : wall,
    workerCpu: done.reduce((sum, r) => sum + r.cpu, 0),
    serverCpu: server1 - server0,
    s3Cpu: s31 - s30,
    objects: done.reduce((sum, r) => sum + r.objects, 0)
  }
}
