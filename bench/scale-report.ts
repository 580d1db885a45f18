import type { ScaleResult } from './scale.js'
import { fixed, int, markdownTable } from './table.js'

const LOG = { memory: 'single process, records from memory', redis: 'Redis stream, consumer group', nats: 'JetStream, durable pull consumer' } as const

/**
 * The scale-out table: records/s per configuration, the speed-up over one
 * worker on the same log and target, and where the CPU went (workers, the
 * log's server, s3rver) against the wall time.
 *
 * @example
 * ```ts
 * process.stdout.write(renderScale(await measureScale({ records: 100_000, workers: [1, 2, 4], s3rver })))
 * ```
 */
export function renderScale (results: readonly ScaleResult[]): string {
  const rows = results.map((r) => {
    const one = results.find((o) => o.log === r.log && o.target === r.target && o.workers === 1)
    const rate = r.records / r.wall
    const speedup = one === undefined ? NaN : rate / (one.records / one.wall)
    const base = results.find((o) => o.log === 'memory' && o.target === r.target)
    return [
      LOG[r.log],
      r.target === 'discard' ? 'discarding client' : 's3rver',
      String(r.workers),
      int(rate),
      r.log === 'memory' ? '' : `${fixed(speedup, 2)}×`,
      base === undefined || r.log === 'memory' ? '' : `${fixed(rate / (base.records / base.wall), 2)}`,
      fixed(r.wall, 2),
      fixed(r.workerCpu, 1),
      int((r.workerCpu + r.serverCpu) / r.records * 1e6),
      fixed(r.serverCpu, 1),
      r.target === 's3rver' ? fixed(r.s3Cpu, 1) : '',
      fixed((r.workerCpu + r.serverCpu + r.s3Cpu) / r.wall, 2),
      String(r.objects)
    ]
  })
  return markdownTable(
    ['Feed', 'Into', 'Workers', 'records/s', 'vs 1 worker', 'vs 1 process', 'Wall s', 'Workers CPU s', 'Workers + log server CPU µs/record', 'Log server CPU s', 's3rver CPU s', 'CPU/wall (cores busy)', 'Objects'],
    rows,
    ['l', 'l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']
  )
}
