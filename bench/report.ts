import { cpus, loadavg } from 'node:os'
import type { MemoryResult } from './memory.js'
import { median, spreadPct, type Sample } from './measure.js'
import type { Row } from './rows.js'
import { fixed, int, markdownTable, mb, verdict, withSpread } from './table.js'

/** Everything one `npm run bench` measured. */
export interface Results {
  mode: 'quick' | 'full'
  rounds: number
  rows: readonly Row[]
  samples: ReadonlyMap<string, readonly Sample[]>
  memory: ReadonlyArray<{ label: string, impl: 'ours' | 'naive', target: number, result: MemoryResult | { error: string } }>
  meanRecordBytes: number
  loadBefore: number[]
  loadAfter: number[]
  seconds: number
}

const rate = (s: Sample): number => s.records / s.seconds

/** Median over rounds of (row rate / other row rate), pairing samples of the same round. */
function paired (a: readonly Sample[] | undefined, b: readonly Sample[] | undefined): { value: number, spread: number } {
  if (a === undefined || b === undefined || a.length === 0 || b.length === 0) return { value: NaN, spread: 0 }
  const ratios = a.slice(0, b.length).map((s, i) => rate(s) / rate(b[i] as Sample))
  return { value: median(ratios), spread: spreadPct(ratios) }
}

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
  const levels = [...new Set(r.rows.flatMap((row) => row.level === undefined ? [] : [row.level]))]
  const headline = levels[0] ?? 6
  const limitOf = (row: Row): readonly Sample[] | undefined => get(`limit@${row.level ?? headline}`)
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
    if (row.run === null || s.length === 0) return [row.label, int(row.count), row.note ?? 'n/a', '', '']
    const rates = s.map(rate)
    const seq = get(row.id.endsWith('-discard') ? 'loop-1-discard' : 'loop-1')
    return [row.label, int(row.count), withSpread(median(rates), spreadPct(rates)), fixed(median(s.map((x) => x.cpu / x.seconds)), 2), fixed(paired(s, seq).value, 2)]
  })
  out.push('## Per-Run objects (one object per Run)', '')
  out.push(markdownTable(['Row', 'Objects', 'objects/s', 'CPU/wall', 'vs sequential'], perRun, ['l', 'r', 'r', 'r', 'r']), '')

  out.push('## Memory (own process each, default options, discarding client)', '')
  const name = (impl: string): string => impl === 'ours' ? 'Ours' : 'Naive batcher'
  out.push(markdownTable(['Pipeline', 'Feed', 'Records', 'records/s', 'Peak RSS MB (maxRSS)', 'VmHWM MB', 'RSS at start MB', 'Out MB'], r.memory.map((m) => 'error' in m.result
    ? [name(m.impl), m.label, '', `failed: ${m.result.error}`, '', '', '', '']
    : [name(m.impl), m.label, int(m.result.records), int(m.result.records / m.result.seconds), mb(m.result.maxRssBytes),
        m.result.hwmBytes === null ? 'n/a' : mb(m.result.hwmBytes), mb(m.result.startRssBytes), mb(m.result.outBytes)]),
  ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r']), '')

  out.push('## Targets', '')
  out.push(markdownTable(['Target', 'Measured', 'Met'], targets(r, get, headline), ['l', 'r', 'l']), '')
  return out.join('\n')
}

function targets (r: Results, get: (id: string) => readonly Sample[] | undefined, level: number): string[][] {
  const rows: string[][] = []
  const ratioRow = (name: string, a: string, b: string, target: number, unit: string): void => {
    const v = paired(get(a), get(b))
    const spread = v.spread > 0 ? ` ±${Math.round(v.spread)}%` : ''
    rows.push([name, Number.isFinite(v.value) ? `${fixed(v.value, 2)}${unit}${spread}` : 'n/a', verdict(v.value, '≥', target, unit)])
  }
  ratioRow(`Ours → discarding client ≥ 0.85 × limit (level ${level})`, `ours-discard@${level}`, `limit@${level}`, 0.85, '')
  ratioRow(`Ours → discarding client ≥ 2 × ndjson → gzip (level ${level})`, `ours-discard@${level}`, `ndjson@${level}`, 2, 'x')
  ratioRow('Ours → s3rver ahead of s3-streamlogger → s3rver', 'ours-s3rver', 'streamlogger', 1, 'x')
  const ours = r.memory.filter((m) => m.impl === 'ours')
  const small = ours[0]
  const big = ours.at(-1)
  if (small !== undefined && big !== undefined && small !== big && !('error' in small.result) && !('error' in big.result)) {
    // The targets are for 2 GB vs 200 MB feeds; quick mode only approximates them.
    const proxy = r.mode === 'quick' ? ' (quick proxy; --full runs 2 GiB vs 200 MiB)' : ''
    const peak = big.result.maxRssBytes / 1e6
    rows.push([`Peak RSS, ${big.label} feed ≤ 200 MB${proxy}`, `${fixed(peak)} MB`, verdict(peak, '≤', 200, ' MB')])
    const growth = big.result.maxRssBytes / small.result.maxRssBytes
    rows.push([`Peak RSS ${big.label} / ${small.label} ≤ 1.2${proxy}`, fixed(growth, 2), verdict(growth, '≤', 1.2)])
  }
  for (const other of [...new Set(r.rows.flatMap((row) => row.level === undefined || row.level === level ? [] : [row.level]))]) {
    ratioRow(`(info) Ours ≥ 0.85 × limit at level ${other}`, `ours-discard@${other}`, `limit@${other}`, 0.85, '')
    ratioRow(`(info) Ours ≥ 2 × ndjson → gzip at level ${other}`, `ours-discard@${other}`, `ndjson@${other}`, 2, 'x')
  }
  return rows
}

/** The machine's 1-minute load average now, for the noise statement. */
export function load (): number[] {
  return loadavg()
}
