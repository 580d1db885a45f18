import type { Sample } from './measure.js'
import type { MemoryRun } from './report.js'
import type { Row } from './rows.js'

/** What bench/plot.ts draws: every row's rates per round and every memory child's RSS over time. */
export interface BenchJson {
  /** The Node that ran it (memory figures differ between versions). */
  node?: string
  rows: Array<{ id: string, label: string, level?: number, rates: number[], outBytesPerRecord: number[] }>
  memory: Array<{ impl: string, label: string, peakBytes: number | null, samples: Array<[number, number]> }>
}

/**
 * The measurements of one run as plain JSON.
 *
 * @example
 * ```ts
 * await writeFile('bench/results.json', JSON.stringify(toJson(rows, samples, memory)))
 * ```
 */
export function toJson (rows: readonly Row[], samples: ReadonlyMap<string, readonly Sample[]>, memory: readonly MemoryRun[]): BenchJson {
  return {
    node: process.version,
    rows: rows.map((row) => {
      const s = samples.get(row.id) ?? []
      return {
        id: row.id,
        label: row.label,
        ...(row.level === undefined ? {} : { level: row.level }),
        rates: s.map((x) => x.records / x.seconds),
        outBytesPerRecord: s.map((x) => (x.outBytes ?? NaN) / x.records)
      }
    }),
    memory: memory.map((m) => ({
      impl: m.impl,
      label: m.label,
      peakBytes: 'error' in m.result ? null : m.result.maxRssBytes,
      samples: 'error' in m.result ? [] : m.result.samples
    }))
  }
}
