// Draws bench/RESULTS.svg from `npm run bench -- --json FILE` (one or more runs):
//   npm run bench:plot -- bench/RESULTS.svg results.json [more.json ...]
// Left: median records/s of every throughput row (of the first file that has
// any), and below them objects/s of the per-Run rows on their own scale.
// Right: RSS over time of every memory child of every file, with the 120 MB goal.
import { readFile, writeFile } from 'node:fs/promises'
import { median } from './measure.js'
import type { BenchJson } from './results-json.js'

const [output = 'bench/RESULTS.svg', ...inputs] = process.argv.slice(2)
const files = await Promise.all((inputs.length === 0 ? ['results.json'] : inputs).map(async (file) => JSON.parse(await readFile(file, 'utf8')) as BenchJson))
const data: BenchJson = {
  rows: files.find((f) => f.rows.some((row) => row.rates.length > 0))?.rows ?? [],
  memory: files.flatMap((f) => f.memory.map((m) => ({ ...m, label: f.node === undefined ? m.label : `${m.label}, Node ${f.node.replace(/^v/, '').split('.')[0] ?? ''}` })))
}
const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#ff7f0e', '#9467bd', '#8c564b', '#e377c2', '#7f7f7f', '#bcbd22', '#17becf', '#000000', '#aec7e8']
const esc = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;')
const parts: string[] = []
const W = 1400
const H = 620

// Records/s by configuration (rows measured in this run; per-Run rows count objects and are left out).
const bars = data.rows
  .filter((row) => row.rates.length > 0 && !row.id.startsWith('per-run') && !row.id.startsWith('loop-'))
  .map((row) => ({ label: `${row.label.length > 58 ? `${row.label.slice(0, 57)}…` : row.label}${row.level === undefined ? '' : ` (level ${row.level})`}`, value: median(row.rates), id: row.id }))
const barX = 430
const barW = 300
const barH = 22
const top = 60
const maxRate = Math.max(...bars.map((b) => b.value), 1)
// Objects per second are a thousand times fewer than records: their own bars and scale.
const perRunBars = data.rows
  .filter((row) => row.rates.length > 0 && (row.id.startsWith('per-run') || row.id.startsWith('loop-')))
  .map((row) => ({ label: row.label.length > 66 ? `${row.label.slice(0, 65)}…` : row.label, value: median(row.rates), id: row.id }))
const perRunTop = top + bars.length * (barH + 6) + 50
const maxObjects = Math.max(...perRunBars.map((b) => b.value), 1)
parts.push(`<text x="10" y="30" font-size="18" font-weight="bold">Records/s by configuration (median of the rounds)</text>`)
bars.forEach((bar, i) => {
  const y = top + i * (barH + 6)
  const w = (bar.value / maxRate) * barW
  const color = bar.id.startsWith('ours-parallel') || bar.id.startsWith('pgzip') ? COLORS[1] : bar.id.startsWith('zstd') ? COLORS[2] : bar.id.startsWith('limit') ? COLORS[7] : COLORS[0]
  parts.push(`<text x="${barX - 8}" y="${y + 15}" font-size="11" text-anchor="end">${esc(bar.label)}</text>`)
  parts.push(`<rect x="${barX}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"/>`)
  parts.push(`<text x="${(barX + w + 4).toFixed(1)}" y="${y + 15}" font-size="11">${Math.round(bar.value).toLocaleString('en-US')}</text>`)
})

if (perRunBars.length > 0) parts.push(`<text x="10" y="${perRunTop - 14}" font-size="18" font-weight="bold">Per-Run objects/s (one object per record)</text>`)
perRunBars.forEach((bar, i) => {
  const y = perRunTop + i * (barH + 6)
  const w = (bar.value / maxObjects) * barW
  const color = bar.id.startsWith('per-run') ? COLORS[0] : COLORS[7]
  parts.push(`<text x="${barX - 8}" y="${y + 15}" font-size="11" text-anchor="end">${esc(bar.label)}</text>`)
  parts.push(`<rect x="${barX}" y="${y}" width="${w.toFixed(1)}" height="${barH}" fill="${color}"/>`)
  parts.push(`<text x="${(barX + w + 4).toFixed(1)}" y="${y + 15}" font-size="11">${Math.round(bar.value).toLocaleString('en-US')}</text>`)
})

// RSS over time, one line per memory child.
const px = 830
const pw = 530
const py = 60
const ph = 460
// The naive batcher grows with its feed (1.4 GB for 200 MiB): drawn, it would flatten every other line.
const offScale = data.memory.filter((m) => m.impl === 'naive' && m.peakBytes !== null)
const runs = data.memory.filter((m) => m.samples.length > 1 && m.impl !== 'naive')
const maxT = Math.max(...runs.flatMap((m) => m.samples.map(([t]) => t)), 1) / 1000
const maxMb = Math.ceil(Math.max(...runs.flatMap((m) => m.samples.map(([, rss]) => rss)), 1) / 1e6 / 50) * 50
parts.push(`<text x="${px}" y="30" font-size="18" font-weight="bold">RSS over time (MB), each run in its own process</text>`)
parts.push(`<rect x="${px}" y="${py}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`)
for (let mb = 0; mb <= maxMb; mb += maxMb <= 300 ? 25 : 100) {
  const y = py + ph - (mb / maxMb) * ph
  parts.push(`<line x1="${px}" x2="${px + pw}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#eee"/><text x="${px - 6}" y="${(y + 4).toFixed(1)}" font-size="11" text-anchor="end">${mb}</text>`)
}
// Issue 12's goal for the peak RSS with default options.
const GOAL_MB = 120
if (GOAL_MB < maxMb) {
  const y = py + ph - (GOAL_MB / maxMb) * ph
  parts.push(`<line x1="${px}" x2="${px + pw}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#000" stroke-dasharray="6 4"/><text x="${px + pw - 4}" y="${(y - 4).toFixed(1)}" font-size="11" text-anchor="end">goal ≤ ${GOAL_MB} MB</text>`)
}
for (let s = 0; s <= maxT; s += Math.max(1, Math.round(maxT / 8))) {
  const x = px + (s / maxT) * pw
  parts.push(`<text x="${x.toFixed(1)}" y="${py + ph + 16}" font-size="11" text-anchor="middle">${s}s</text>`)
}
runs.forEach((run, i) => {
  const color = COLORS[i % COLORS.length] as string
  const points = run.samples.map(([t, rss]) => `${(px + (t / 1000 / maxT) * pw).toFixed(1)},${(py + ph - (rss / 1e6 / maxMb) * ph).toFixed(1)}`).join(' ')
  parts.push(`<polyline points="${points}" fill="none" stroke="${color}" stroke-width="1.5"/>`)
  const peak = run.peakBytes === null ? '' : `, peak ${(run.peakBytes / 1e6).toFixed(0)} MB`
  parts.push(`<rect x="${px}" y="${py + ph + 28 + i * 15}" width="10" height="10" fill="${color}"/><text x="${px + 16}" y="${py + ph + 37 + i * 15}" font-size="11">${esc(`${run.impl} ${run.label}${peak}`)}</text>`)
})

offScale.forEach((m, i) => {
  parts.push(`<text x="${px}" y="${py + ph + 37 + (runs.length + i) * 15}" font-size="11">${esc(`Not drawn: naive batcher ${m.label}, peak ${((m.peakBytes ?? 0) / 1e6).toFixed(0)} MB`)}</text>`)
})

const height = Math.max(H, perRunTop + perRunBars.length * (barH + 6) + 20, py + ph + 50 + (runs.length + offScale.length) * 15)
await writeFile(output, `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${height}" font-family="sans-serif"><rect width="100%" height="100%" fill="white"/>${parts.join('')}</svg>\n`)
process.stderr.write(`wrote ${output}\n`)
