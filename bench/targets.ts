import { runPeakBytes, type MemoryImpl } from './memory.js'
import { median, spreadPct, type Sample } from './measure.js'
import type { MemoryRun, Results } from './report.js'
import { PARALLEL } from './rows.js'
import { fixed, int, verdict } from './table.js'

const rate = (s: Sample): number => s.records / s.seconds

/**
 * Median over rounds of (row rate / other row rate), pairing samples of the
 * same round; NaN when either row did not run.
 *
 * @example
 * ```ts
 * paired(samples.get('per-run-sink'), samples.get('loop-8')) // { value: 1.03, spread: 4 }
 * ```
 */
export function paired (a: readonly Sample[] | undefined, b: readonly Sample[] | undefined): { value: number, spread: number } {
  if (a === undefined || b === undefined || a.length === 0 || b.length === 0) return { value: NaN, spread: 0 }
  const ratios = a.slice(0, b.length).map((s, i) => rate(s) / rate(b[i] as Sample))
  return { value: median(ratios), spread: spreadPct(ratios) }
}

/** How each memory child is named in the tables. */
export const MEMORY_NAMES: Record<MemoryImpl, string> = {
  ours: 'Ours (tsx, lib/)',
  dist: 'Ours (compiled, no tsx)',
  cli: 'CLI bin/s3-sink.js',
  naive: 'Naive batcher',
  'per-run': 'createS3Sink() per Run'
}

const NOT_RUN = 'n/a (not run)'

/**
 * Every target of issue 12 (and the first round's, marked so) as
 * `[target, goal, measured, met]`, always in the same order: a target whose
 * rows this run did not measure says `n/a (not run)` instead of vanishing.
 * `loopId` is the PutObject loop with the per-Run sink's default in flight.
 *
 * @example
 * ```ts
 * markdownTable(['Target', 'Goal', 'Measured', 'Met'], targetRows(results, 6, 'loop-8'))
 * ```
 */
export function targetRows (r: Results, level: number, loopId: string): string[][] {
  const get = (id: string): readonly Sample[] | undefined => r.samples.get(id)
  const rows: string[][] = []
  const ratioRow = (name: string, a: string, b: string, op: '≥' | '≤', target: number, unit: string): void => {
    const v = paired(get(a), get(b))
    const spread = v.spread > 0 ? ` ±${Math.round(v.spread)}%` : ''
    const measured = Number.isFinite(v.value) ? `${fixed(v.value, 2)}${unit}${spread}` : NOT_RUN
    rows.push([name, `${op} ${target}${unit}`, measured, verdict(v.value, op, target, unit)])
  }
  const sizeRow = (name: string, a: string, b: string, target: number): void => {
    const out = (id: string): number => median((get(id) ?? []).map((s) => (s.outBytes ?? NaN) / s.records))
    const value = out(a) / out(b)
    rows.push([name, `≤ ${target}x`, Number.isFinite(value) ? `${fixed(value, 3)}x` : NOT_RUN, verdict(value, '≤', target, 'x')])
  }

  // 1. Parallel compression into one gzip member.
  ratioRow(`Pipeline with parallel gzip (threads ${PARALLEL}) → discarding client ÷ serial limit (level ${level})`, `ours-parallel@${level}`, `limit@${level}`, '≥', 1.6, 'x')
  sizeRow(`Parallel gzip stored size ÷ one zlib stream (level ${level})`, `ours-parallel@${level}`, `ours-single@${level}`, 1.01)
  ratioRow(`(info) parallel gzip ÷ one zlib stream, same pipeline (level ${level})`, `ours-parallel@${level}`, `ours-single@${level}`, '≥', 1, 'x')
  // 2. zstd at its default level (3) against gzip with one stream, the default when the issue was written.
  ratioRow(`zstd level 3 ÷ gzip level ${level} (one stream), records/s`, 'zstd@3', `ours-single@${level}`, '≥', 2, 'x')
  sizeRow(`zstd level 3 stored size ÷ gzip level ${level}`, 'zstd@3', `ours-single@${level}`, 1.1)
  // 3. Memory floor, default options: 2 GiB and 200 MiB feeds with --full; quick runs stand in with shorter feeds.
  for (const impl of ['dist', 'cli'] as const) memoryRows(rows, r, impl, 120, 1.1)
  // 4. Per-Run sink, default options, against the loop with the same objects in flight.
  ratioRow('Per-Run sink ÷ PutObject loop, same in flight → s3rver', 'per-run-sink', loopId, '≥', 1, 'x')
  ratioRow('Per-Run sink ÷ PutObject loop, same in flight → discarding client', 'per-run-sink-discard', `${loopId}-discard`, '≥', 1, 'x')
  const perRun = r.memory.filter((m) => m.impl === 'per-run').at(-1)
  rows.push(['Per-Run sink, largest feed: objects/s and peak RSS', '(measured)', perRun === undefined ? NOT_RUN
    : 'error' in perRun.result ? `failed: ${perRun.result.error}`
      : `${perRun.label}: ${int(perRun.result.records / perRun.result.seconds)} objects/s, ${fixed(perRun.result.maxRssBytes / 1e6)} MB`, perRun === undefined ? 'n/a' : '(row)'])

  // The first round's targets, still measured by the same rows.
  ratioRow(`(round 1) Ours → discarding client ÷ limit (level ${level})`, `ours-discard@${level}`, `limit@${level}`, '≥', 0.85, 'x')
  ratioRow(`(round 1) Ours → discarding client ÷ ndjson → gzip (level ${level})`, `ours-discard@${level}`, `ndjson@${level}`, '≥', 2, 'x')
  ratioRow('(round 1) Ours → s3rver ÷ s3-streamlogger → s3rver', 'ours-s3rver', 'streamlogger', '≥', 1, 'x')
  ratioRow(`(info) zstd level 3 ÷ default gzip level ${level}, records/s`, 'zstd@3', `ours-discard@${level}`, '≥', 1, 'x')
  for (const other of [...new Set(r.rows.flatMap((row) => row.level === undefined || row.level === level || row.id.startsWith('zstd') ? [] : [row.level]))]) {
    ratioRow(`(info) Ours ÷ limit at level ${other}`, `ours-discard@${other}`, `limit@${other}`, '≥', 0.85, 'x')
    ratioRow(`(info) Ours ÷ ndjson → gzip at level ${other}`, `ours-discard@${other}`, `ndjson@${other}`, '≥', 2, 'x')
  }
  if (r.memory.some((m) => m.impl === 'ours')) memoryRows(rows, r, 'ours', 200, 1.2, '(round 1) ')
  return rows
}

/** Peak RSS of the largest feed, and its growth over the smallest: n/a rows when the child did not run twice. */
function memoryRows (rows: string[][], r: Results, impl: MemoryImpl, goal: number, flat: number, tag = ''): void {
  const runs: MemoryRun[] = r.memory.filter((m) => m.impl === impl)
  const small = runs[0]
  const big = runs.at(-1)
  // The targets are for 2 GB vs 200 MB feeds; smaller feeds (a quick run without --memory-full) only approximate them.
  const proxy = big !== undefined && big.label !== '2 GiB' ? ' (quick proxy; --full or --memory-full runs 2 GiB vs 200 MiB)' : ''
  const name = `${tag}Peak RSS, ${MEMORY_NAMES[impl]}, default options, ${big?.label ?? '2 GiB'} feed${proxy}`
  const flatName = `${tag}Peak RSS ${MEMORY_NAMES[impl]}, ${big?.label ?? '2 GiB'} ÷ ${small !== big ? small?.label ?? '200 MiB' : '200 MiB'}${proxy}`
  if (big === undefined) {
    rows.push([name, `≤ ${goal} MB`, NOT_RUN, 'n/a'])
  } else if ('error' in big.result) {
    rows.push([name, `≤ ${goal} MB`, `failed: ${big.result.error}`, 'n/a'])
  } else {
    // The run's own peak where the child could read it when its pipeline resolved; the whole process's beside it.
    const peak = runPeakBytes(big.result) / 1e6
    const whole = big.result.resolvedHwmBytes === null ? '' : ` (whole process ${fixed(big.result.maxRssBytes / 1e6)} MB)`
    rows.push([name, `≤ ${goal} MB`, `${fixed(peak)} MB${whole}`, verdict(peak, '≤', goal, ' MB')])
  }
  if (small === undefined || big === undefined || small === big || 'error' in small.result || 'error' in big.result) {
    rows.push([flatName, `≤ ${flat}x`, NOT_RUN, 'n/a'])
  } else {
    const growth = runPeakBytes(big.result) / runPeakBytes(small.result)
    const whole = big.result.resolvedHwmBytes === null ? '' : ` (whole process ${fixed(big.result.maxRssBytes / small.result.maxRssBytes, 2)}x)`
    rows.push([flatName, `≤ ${flat}x`, `${fixed(growth, 2)}x${whole}`, verdict(growth, '≤', flat, 'x')])
  }
}
