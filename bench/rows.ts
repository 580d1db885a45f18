import type { S3Client } from '@aws-sdk/client-s3'
import { gzipOnly, limit, ndjsonChunks, stringifyOnly } from './baselines/limit.js'
import { naiveFromPool } from './baselines/naive-batcher.js'
import { ndjsonGzip } from './baselines/ndjson-gzip.js'
import { putObjectLoop } from './baselines/put-object-loop.js'
import { streamLogger } from './baselines/s3-streamlogger.js'
import { discardClient } from './discard-client.js'
import { faultRun, TEN_PERCENT } from './faults.js'
import { feedBytes, feedStream } from './feed.js'
import type { Work } from './measure.js'
import { ParallelGzip } from '../lib/internal/parallel-gzip.js'
import { resolveCompression } from '../lib/internal/compression.js'
import { hasZstd } from '../lib/internal/zstd.js'
import { createUploadClient } from '../lib/internal/s3-client.js'
import { ours } from './ours.js'
import { loadCreateS3Sink, perRunSink } from './per-run.js'
import type { RunRecord } from './records.js'
import type { BenchS3rver } from './s3rver.js'

/** One line of the results table. */
export interface Row {
  id: string
  label: string
  section: 'throughput' | 'per-run'
  level?: number
  /** Records (objects for per-Run rows) per timed run. */
  count: number
  /** Runs the row over `n` records (the warm-up uses fewer); `null` when the row cannot run here. */
  run: ((n: number) => Promise<Work>) | null
  /** Why the row cannot run, or what to know when reading it. */
  note?: string
}

/** What the rows need: the feed, the sizes, and the S3 targets. */
export interface RowContext {
  pool: readonly RunRecord[]
  /** Records per timed run of the full-speed rows. */
  count: number
  /** Objects per timed run of the per-Run rows against s3rver (3x that into the discarding client). */
  objects: number
  /** gzip levels to measure the core rows at; the first one is the headline. */
  levels: readonly number[]
  /** zstd levels to measure (rows are n/a on a Node without zstd). */
  zstdLevels: readonly number[]
  /** Objects in flight of the concurrent PutObject loop: the per-Run sink's default. */
  concurrency: number
  /** Also the fault row whose stalls last until the default socket timeout (30 s each). */
  fullStalls?: boolean
  server: BenchS3rver
}

/** gzip threads of the parallel rows: the cores of these machines. */
export const PARALLEL = 2

const BUCKETS = ['bench-ours', 'bench-naive', 'bench-streamlogger', 'bench-runs', 'bench-loop', 'bench-faults']

/**
 * Every row of the benchmark, ready to run; creates the buckets they use.
 * Slow baselines run over fewer records: every figure is a rate.
 *
 * @example
 * ```ts
 * const { rows, close } = await buildRows({ pool, count: 150_000, objects: 1000, levels: [6], concurrency: 8, server })
 * ```
 */
export async function buildRows (ctx: RowContext): Promise<{ rows: Row[], close: () => void }> {
  const { pool, count, server, objects, concurrency } = ctx
  for (const bucket of BUCKETS) await server.createBucket(bucket)
  const clients: S3Client[] = []
  const track = (client: S3Client): S3Client => {
    clients.push(client)
    return client
  }
  const s3 = (): S3Client => track(server.client())
  const discard = (): S3Client => discardClient().client
  const withBytes = (n: number, work: Work): Work => {
    // 'object' events count what S3 acknowledged: a short count means lost records, not a fast run.
    if (work.records !== n) throw new Error(`delivered ${work.records} of ${n} records`)
    return { ...work, bytes: feedBytes(pool, n) }
  }
  const rows: Row[] = []

  for (const level of ctx.levels) {
    rows.push(
      { id: `limit@${level}`, label: 'Limit: JSON.stringify + one zlib Gzip (64 KiB writes)', section: 'throughput', level, count, run: async (n) => await limit(pool, n, level) },
      { id: `ours-discard@${level}`, label: 'Ours → discarding S3 client', section: 'throughput', level, count, run: async (n) => withBytes(n, await ours(feedStream(pool, n), discard(), 'bench', { level })) },
      { id: `ours-parallel@${level}`, label: `Ours, gzip({ threads: ${PARALLEL} }) (parallel gzip) → discarding client`, section: 'throughput', level, count, run: async (n) => withBytes(n, await ours(feedStream(pool, n), discard(), 'bench', { level, threads: PARALLEL })) },
      // One zlib stream, explicitly: the default, and the reference of the parallel and zstd rows.
      { id: `ours-single@${level}`, label: 'Ours, gzip({ threads: 1 }) (one zlib stream) → discarding client', section: 'throughput', level, count, run: async (n) => withBytes(n, await ours(feedStream(pool, n), discard(), 'bench', { level, threads: 1 })) },
      { id: `ndjson@${level}`, label: 'Baseline: ndjson.stringify() → zlib.createGzip()', section: 'throughput', level, count: Math.ceil(count / 4), run: async (n) => await ndjsonGzip(pool, n, level) }
    )
  }
  const level = ctx.levels[0] as number
  // zstd next to gzip on the same records; n/a on a Node without node:zlib's zstd.
  for (const zl of ctx.zstdLevels) {
    rows.push({
      id: `zstd@${zl}`,
      label: 'Ours, compress({ compression: \'zstd\' }) → discarding client',
      section: 'throughput',
      level: zl,
      count,
      run: hasZstd() ? async (n) => withBytes(n, await ours(feedStream(pool, n), discard(), 'bench', { level: zl, compression: 'zstd' })) : null,
      ...(hasZstd() ? {} : { note: `n/a: node:zlib has zstd from Node 22.15 (this is ${process.version})` })
    })
  }
  // Built off the clock: the gzip-only row must not pay for stringify.
  const chunks = ndjsonChunks(pool, Math.min(count, pool.length))
  const chunked = Math.min(count, pool.length)
  const half = Math.ceil(count / 2)
  rows.push(
    { id: 'stringify', label: '(part of the limit) JSON.stringify only', section: 'throughput', count, run: async (n) => stringifyOnly(pool, n) },
    { id: `gzip@${level}`, label: '(part of the limit) gzip only, ready NDJSON', section: 'throughput', level, count: chunked, run: async () => ({ ...await gzipOnly(chunks, level), records: chunked }) },
    {
      id: `pgzip@${level}`,
      label: `parallel gzip only (one zlib pool job per block, ${PARALLEL} in flight), ready NDJSON`,
      section: 'throughput',
      level,
      count: chunked,
      run: async () => ({ ...await gzipOnly(chunks, level, () => new ParallelGzip({ level, blockSize: resolveCompression({}, 'bench').blockSize, blocksInFlight: PARALLEL })), records: chunked })
    },
    { id: 'ours-s3rver', label: 'Ours → s3rver', section: 'throughput', level, count, run: async (n) => withBytes(n, await ours(feedStream(pool, n), s3(), 'bench-ours', { level })) },
    { id: 'naive-discard', label: 'Baseline: naive batcher (array, gzipSync, 1 PutObject) → discarding client', section: 'throughput', level, count: half, run: async (n) => await naiveFromPool(pool, n, discard(), 'bench', level) },
    { id: 'naive-s3rver', label: 'Baseline: naive batcher → s3rver', section: 'throughput', level, count: half, run: async (n) => await naiveFromPool(pool, n, s3(), 'bench-naive', level) },
    {
      id: 'streamlogger',
      label: 'Baseline: s3-streamlogger (compress) → s3rver',
      section: 'throughput',
      count: Math.ceil(count / 10),
      note: 'level 6 fixed by the package',
      run: async (n) => {
        const work = await streamLogger(pool, n, { ...server.config, bucket: 'bench-streamlogger' })
        return { ...work, note: `${work.puts} PUTs, re-sending growing objects` }
      }
    }
  )

  // Default sink options; 256 KiB windows, so that 10% of requests is a few dozen faults per run.
  const faults = { seed: 5, maxBytes: 256 * 1024, level }
  const faultRow = (id: string, label: string, run: (n: number) => Promise<Work>): Row => ({ id, label, section: 'throughput', level, count, run })
  rows.push(
    faultRow('faults-none', 'Ours → fault proxy, no faults → s3rver (baseline of the next rows)',
      async (n) => withBytes(n, await faultRun(server, pool, n, 'bench-faults', { ...faults, rates: {} }))),
    faultRow('faults-10pct', 'Ours, default options → 10% faults (SlowDown, 500, reset, stall cut at 200 ms) → s3rver',
      async (n) => withBytes(n, await faultRun(server, pool, n, 'bench-faults', { ...faults, rates: TEN_PERCENT, stallMs: 200 })))
  )
  if (ctx.fullStalls === true) {
    rows.push(faultRow('faults-full-stall', 'Ours, default options → 10% faults, stalls end at the 30 s socket timeout → s3rver',
      async (n) => withBytes(n, await faultRun(server, pool, n, 'bench-faults', { ...faults, rates: TEN_PERCENT }))))
  }

  const create = await loadCreateS3Sink()
  // Against s3rver the server is the bound; the discarding client shows each row's own cost per object.
  // Fair by construction: the same client configuration on both sides (into s3rver, the loop's client is
  // built by the function that builds the sink's own from its connection fields), the sink's default
  // options, whose in-flight count is the loop's, the same bodies (Buffers of JSON.stringify(run)), and
  // fresh keys for every run on both sides (s3rver replacing an existing object costs more than a new one).
  let runs = 0
  for (const target of ['s3rver', 'discard'] as const) {
    const loopClient = target === 's3rver' ? (): S3Client => track(createUploadClient(server.config, 'bench')) : discard
    const where = target === 's3rver' ? 's3rver' : 'discarding client'
    const suffix = target === 's3rver' ? '' : '-discard'
    const n = target === 's3rver' ? objects : objects * 3
    const config = (): Record<string, unknown> => target === 's3rver'
      ? { type: 's3', bucket: 'bench-runs', ...server.config, prefix: `sink-${++runs}` }
      : { type: 's3', bucket: 'bench-runs', client: discard(), prefix: `sink-${++runs}` }
    rows.push(
      {
        id: `per-run-sink${suffix}`,
        label: `createS3Sink() per Run (default options: ${concurrency} in flight) → ${where}`,
        section: 'per-run',
        count: n,
        run: create === null ? null : async (k) => await perRunSink(create, pool, k, config()),
        ...(create === null ? { note: 'n/a (not available)' } : {})
      },
      { id: `loop-1${suffix}`, label: `Baseline: PutObject loop, sequential → ${where}`, section: 'per-run', count: n, run: async (k) => await putObjectLoop(pool, k, loopClient(), 'bench-loop', 1) },
      { id: `loop-${concurrency}${suffix}`, label: `Baseline: PutObject loop, ${concurrency} in flight → ${where}`, section: 'per-run', count: n, run: async (k) => await putObjectLoop(pool, k, loopClient(), 'bench-loop', concurrency) }
    )
  }
  return { rows, close: () => { for (const c of clients) c.destroy() } }
}
