// Preloaded into a memory child (`node --import <this, compiled> ...`): samples
// the process's RSS (and at its peak, what it is made of) every 100 ms and, on exit, writes the samples and the
// peak to the file named by RSS_SAMPLES, for the RSS-over-time plot. It
// loads nothing but node:fs, so it adds almost nothing to what it measures.
import { readFileSync, writeFileSync } from 'node:fs'

const file = process.env.RSS_SAMPLES
if (file !== undefined && file !== '') {
  const t0 = Date.now()
  const samples: Array<[number, number]> = []
  // What the RSS was made of at its highest sample: V8's heap, Buffers (arrayBuffers), the rest (code, native, zlib).
  let atPeak = { rss: 0, heapTotal: 0, heapUsed: 0, arrayBuffers: 0 }
  const sample = (): void => {
    const m = process.memoryUsage()
    samples.push([Date.now() - t0, m.rss])
    if (m.rss > atPeak.rss) atPeak = { rss: m.rss, heapTotal: m.heapTotal, heapUsed: m.heapUsed, arrayBuffers: m.arrayBuffers }
  }
  sample()
  setInterval(sample, 100).unref()
  process.once('exit', () => {
    sample()
    const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]
    writeFileSync(file, JSON.stringify({ samples, atPeak, maxRssBytes: process.resourceUsage().maxRSS * 1024, hwmBytes: hwm === undefined ? null : Number(hwm) * 1024 }))
  })
}
