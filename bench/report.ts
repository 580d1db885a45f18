import { cpus, loadavg } from 'node:os'
import type { MemoryImpl, MemoryResult } from './memory.js'
import { median, spreadPct, type Sample } from './measure.js'
import type { Row } from './rows.js'
import { fixed, int, markdownTable, mb, withSpread } from './table.js'
import { MEMORY_NAMES, paired, targetRows } from './targets.js'
import { RUN_CONCURRENCY } from '../lib/sinks/create-s3-sink.js'

/** One memory child: which process, which feed (bytes, or objects for per-run). */
export interface MemoryRun { label: string, impl: MemoryImpl, target: number, result: MemoryResult | { error: string } }

/** Everything one `npm run bench` measured. */
export interface Results {
  mode: 'quick' | 'full'
  rounds: number
  rows: readonly Row[]
  samples: ReadonlyMap<string, readonly Sample[]>
  memory: ReadonlyArray<MemoryRun>
  meanRecordBytes: number
  loadBefore: number[]
  loadAfter: number[]
  seconds: number
}

const rate = (s: Sample): number => s.records / s.seconds

/**
 * The whole report as Markdown: setup, throughput, per-Run, memory and the
 * targets with ✓/✗.
 *
 * @example
 * ```ts
 * console.log(renderReport(results))
 * ```
 */
export function renderReport (r: Results): string {
  const get = (id: string): readonly Sample[] | undefined => r.samples.get(id)
  const levels = [...new Set(r.rows.flatMap((row) => row.level === undefined || row.id.startsWith('zstd') ? [] : [row.level]))]
  const headline = levels[0] ?? 6
  // zstd rows are compared with the gzip limit at the headline level: their levels are zstd's.
  const limitOf = (row: Row): readonly Sample[] | undefined => get(`limit@${row.id.startsWith('zstd') ? headline : row.level ?? headline}`)
  const limitSamples = get(`limit@${headline}`) ?? []
  const ratio = limitSamples.reduce((sum, s) => sum + s.bytes, 0) / limitSamples.reduce((sum, s) => sum + (s.outBytes ?? 0), 0)
  const cpu = cpus()
  const out: string[] = []
  out.push(`# s3-stream-sink benchmark (${r.mode})`, '')
  out.push(`- Machine: ${cpu.length} CPUs (${cpu[0]?.model.trim() ?? 'unknown'}), Node ${process.version}, ${process.platform}/${process.arch}`)
  out.push(`- gzip level ${levels.join(', ')} (headline ${headline}); records: about ${int(r.meanRecordBytes)} B of JSON each, Run-shaped, seeded PRNG; gzip ratio at level ${headline}: ${fixed(ratio, 2)}x`)
  out.push(`- Records per row: ${int(r.rows.find((row) => row.id === `limit@${headline}`)?.count ?? NaN)} (fewer for the slow baselines, see the Records column); ${r.rounds} rounds, rows interleaved (every other round in reverse order); figures are medians, ± is half the min-max spread across rounds`)
  out.push(`- Load average (1 min) before/after: ${fixed(r.loadBefore[0] ?? NaN, 2)} / ${fixed(r.loadAfter[0] ?? NaN, 2)}; total ${fixed(r.seconds, 0)} s. MB = 10^6 bytes; MB/s counts uncompressed NDJSON in.`, '')

  const through = r.rows.filter((row) => row.section === 'throughput').map((row) => {
    const s = get(row.id) ?? []
    if (row.run === null || s.length === 0) return [row.label, '', int(row.count), row.note ?? 'n/a', '', '', '', '', '', '']
    const rates = s.map(rate)
    const vs = paired(s, limitOf(row))
    return [
      row.label,
      row.level === undefined ? '' : String(row.level),
      int(row.count),
      withSpread(median(rates), spreadPct(rates)),
      fixed(median(s.map((x) => x.bytes / x.seconds)) / 1e6),
      s[0]?.outBytes === undefined ? '' : mb(median(s.map((x) => x.outBytes ?? 0))),
      fixed(median(s.map((x) => x.cpu / x.seconds)), 2),
      fixed(median(s.map((x) => (x.cpu / x.records) * 1e6)), 2),
      fixed(vs.value, 2),
      [row.note, s.at(-1)?.note].filter((x) => x !== undefined).join('; ')
    ]
  })
  out.push('## Throughput', '')
  out.push(markdownTable(['Row', 'Level', 'Records', 'records/s', 'MB/s', 'Out MB', 'CPU/wall', 'CPU µs/rec', 'vs limit', 'Notes'], through, ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l']), '')

  const perRun = r.rows.filter((row) => row.section === 'per-run').map((row) => {
    const s = get(row.id) ?? []
    if (row.run === null || s.length === 0) return [row.label, int(row.count), row.note ?? 'n/a', '', '', '']
    const rates = s.map(rate)
    const seq = get(row.id.endsWith('-discard') ? 'loop-1-discard' : 'loop-1')
    // CPU per object moves least with the machine's load: the figure to compare rows by.
    return [row.label, int(row.count), withSpread(median(rates), spreadPct(rates)), fixed(median(s.map((x) => x.cpu / x.seconds)), 2),
      fixed(median(s.map((x) => (x.cpu / x.records) * 1e6)), 0), fixed(paired(s, seq).value, 2)]
  })
  out.push('## Per-Run objects (one object per Run; the sink with default options)', '')
  out.push(markdownTable(['Row', 'Objects', 'objects/s', 'CPU/wall', 'CPU µs/object', 'vs sequential'], perRun, ['l', 'r', 'r', 'r', 'r', 'r']), '')

  out.push('## Memory (own process each, default options, discarding S3)', '')
  out.push(markdownTable(['Process', 'Feed', 'Records', 'records/s', 'Peak RSS MB (maxRSS, whole process)', 'VmHWM MB (whole process)', 'VmHWM MB when the run resolved', 'RSS at start MB', 'At peak: V8 heap MB', 'At peak: Buffers MB', 'Out MB'], r.memory.map((m) => 'error' in m.result
    ? [MEMORY_NAMES[m.impl], m.label, '', `failed: ${m.result.error}`, '', '', '', '', '', '', '']
    : [MEMORY_NAMES[m.impl], m.label, int(m.result.records), int(m.result.records / m.result.seconds), mb(m.result.maxRssBytes),
        m.result.hwmBytes === null ? 'n/a' : mb(m.result.hwmBytes), m.result.resolvedHwmBytes === null ? 'n/a' : mb(m.result.resolvedHwmBytes), mb(m.result.startRssBytes), mb(m.result.atPeak.heapTotal),
        mb(m.result.atPeak.arrayBuffers), mb(m.result.outBytes)]),
  ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r']), '')

  out.push('## Targets (issue 12, then the first round\'s)', '')
  out.push(`Load average (1 min) before/after the run: ${fixed(r.loadBefore[0] ?? NaN, 2)} / ${fixed(r.loadAfter[0] ?? NaN, 2)}; ratios are medians of same-round pairs, ± half their spread.`, '')
  out.push(markdownTable(['Target', 'Goal', 'Measured', 'Met'], targetRows(r, headline, `loop-${RUN_CONCURRENCY}`), ['l', 'l', 'r', 'l']), '')
  return out.join('\n')
}

/** The machine's 1-minute load average now, for the noise statement. */
export function load (): number[] {
  return loadavg()
}
