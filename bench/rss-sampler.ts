// Preloaded into a memory child (`node --import <this, compiled> ...`): samples
// the process's RSS every 100 ms and, on exit, writes the samples and the
// peak to the file named by RSS_SAMPLES, for the RSS-over-time plot. It
// loads nothing but node:fs, so it adds almost nothing to what it measures.
import { readFileSync, writeFileSync } from 'node:fs'

const file = process.env.RSS_SAMPLES
if (file !== undefined && file !== '') {
  const t0 = Date.now()
  const samples: Array<[number, number]> = []
  const sample = (): void => { samples.push([Date.now() - t0, process.memoryUsage.rss()]) }
  sample()
  setInterval(sample, 100).unref()
  process.once('exit', () => {
    sample()
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
    writeFileSync(file, JSON.stringify({ samples, maxRssBytes: process.resourceUsage().maxRSS * 1024, hwmBytes: hwm === undefined ? null : Number(hwm) * 1024 }))
  })
}
