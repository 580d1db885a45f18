import { pipeline } from 'node:stream/promises'
import { compress, filterApis, minuteWindow, s3Writable, type ObjectWritten } from '../lib/index.js'
import type { UploadRetry } from '../lib/internal/retry-events.js'
import { startFaultProxy, type FaultProxy } from '../spec/helpers/fault-proxy.js'
import { feedStream } from './feed.js'
import type { Work } from './measure.js'
import type { RunRecord } from './records.js'
import type { BenchS3rver } from './s3rver.js'

/** The fault mix of the reliability specs: 10% of all attempts, drawn independently, no cap per request. */
export const TEN_PERCENT = { slowDown: 0.03, internalError: 0.025, reset: 0.025, stall: 0.02 }

/** How a fault row treats stalls: cut by the proxy after `stallMs`, or left to the client's own socket timeout. */
export interface FaultRowOptions {
  /** `undefined`: the stall lasts until the sink's `socketTimeout` (30 s by default) gives up on it. */
  stallMs?: number
  /** Fault rates; `{}` for the no-fault baseline through the same proxy. */
  rates: Record<string, number>
  seed: number
  /** Objects are cut at this many NDJSON bytes, so a run makes enough requests for the faults to matter. */
  maxBytes: number
  level: number
}

/**
 * The batched pipeline with default sink options (retries, timeouts,
 * concurrency) through a fault proxy in front of s3rver. Reports the objects
 * that needed a retry and the retries; fails when a record is missing, so a
 * fast row can never be a lossy one.
 *
 * @example
 * ```ts
 * const work = await faultRun(server, pool, 150_000, 'bench-faults', { rates: TEN_PERCENT, seed: 1, maxBytes: 1 << 20, level: 6, stallMs: 200 })
 * ```
 */
export async function faultRun (server: BenchS3rver, pool: readonly RunRecord[], n: number, bucket: string, o: FaultRowOptions): Promise<Work> {
  const proxy: FaultProxy = await startFaultProxy({ target: server.endpoint, rates: o.rates, seed: o.seed, ...(o.stallMs === undefined ? {} : { stallMs: o.stallMs }) })
  try {
    const sink = s3Writable({ ...server.config, endpoint: proxy.endpoint, bucket, prefix: 'faults' })
    let records = 0
    let outBytes = 0
    let objects = 0
    const retried = new Set<string>()
    let retries = 0
    sink.on('object', (written: ObjectWritten) => { records += written.records; outBytes += written.bytes; objects++ })
    sink.on('retry', (retry: UploadRetry) => { retries++; retried.add(retry.key) })
    await pipeline(feedStream(pool, n), filterApis(), minuteWindow({ maxBytes: o.maxBytes }), compress({ level: o.level }), sink)
    const faults = Object.entries(proxy.faults).filter(([, count]) => count > 0).map(([kind, count]) => `${kind} ${count}`).join(', ')
    const note = `${objects} objects, ${retried.size} retried (${retries} retries); ${proxy.totalFaults} faults in ${proxy.events.length} requests${faults === '' ? '' : ` (${faults})`}`
    return { records, bytes: 0, outBytes, note }
  } finally {
    await proxy.close()
  }
}
