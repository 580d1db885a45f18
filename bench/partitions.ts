// Peak memory of a window partitioned by a 10,000-value field, next to the
// same feed unpartitioned, each in its own process (peak RSS only means
// something in a fresh process). Usage: tsx bench/partitions.ts [records]
// Runs 1x and 4x the records for both; prints one Markdown table.
import './env.js'
import { spawn } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { pipeline } from 'node:stream/promises'
import { compress, minuteWindow, s3Writable } from '../lib/index.js'
import { discardClient } from './discard-client.js'
import { generatedStream } from './feed.js'

const VALUES = 10_000

async function child (records: number, partitioned: boolean): Promise<void> {
  const { client, stats } = discardClient()
  let n = 0
  const t0 = process.hrtime.bigint()
  await pipeline(
    generatedStream(records),
    minuteWindow(partitioned ? { partitionBy: () => ({ shard: (n++ * 7919) % VALUES }) } : {}),
    compress({ level: 1 }),
    s3Writable({ bucket: 'bench', client })
  )
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  process.stdout.write(JSON.stringify({ records, partitioned, objects: stats.objects, seconds, maxRssMiB: process.resourceUsage().maxRSS / 1024 }) + '\n')
}

async function measure (records: number, partitioned: boolean): Promise<{ objects: number, seconds: number, maxRssMiB: number }> {
  const out = await new Promise<string>((resolve, reject) => {
    const p = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(import.meta.url), 'child', String(records), partitioned ? '1' : '0'], { stdio: ['ignore', 'pipe', 'inherit'] })
    let text = ''
    p.stdout.on('data', (d: Buffer) => { text += d.toString() })
    p.on('close', (code) => { code === 0 ? resolve(text) : reject(new Error(`child exited ${String(code)}`)) })
  })
  return JSON.parse(out) as { objects: number, seconds: number, maxRssMiB: number }
}

const [mode, a, b] = process.argv.slice(2)
if (mode === 'child') {
  await child(Number(a), b === '1')
} else {
  const base = Number(mode ?? 20_000)
  const rows = ['| feed | records | objects | seconds | peak RSS (MiB) |', '|---|---|---|---|---|']
  for (const partitioned of [false, true]) {
    for (const records of [base, 4 * base]) {
      const r = await measure(records, partitioned)
      rows.push(`| ${partitioned ? `partitionBy, ${VALUES} values, maxOpenPartitions 16` : 'unpartitioned'} | ${records} | ${r.objects} | ${r.seconds.toFixed(1)} | ${r.maxRssMiB.toFixed(0)} |`)
    }
  }
  process.stdout.write(rows.join('\n') + '\n')
}
