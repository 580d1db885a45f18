// Prints the functions with the most self time in a V8 .cpuprofile (from
// `node --cpu-prof`), and the share of time per area (stringify, zlib,
// streams, SDK, ...). Usage: tsx bench/cpuprofile-top.ts FILE [top=25]
import { readFile } from 'node:fs/promises'

interface ProfileNode {
  id: number
  callFrame: { functionName: string, url: string, lineNumber: number }
  children?: number[]
}
interface Profile { nodes: ProfileNode[], samples: number[], timeDeltas: number[] }

const [file, topArg = '25'] = process.argv.slice(2)
if (file === undefined) throw new Error('usage: cpuprofile-top.ts FILE [top]')
const profile = JSON.parse(await readFile(file, 'utf8')) as Profile
const byId = new Map(profile.nodes.map((n) => [n.id, n]))
const self = new Map<number, number>()
profile.samples.forEach((id, i) => { self.set(id, (self.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)) })
const total = [...self.values()].reduce((a, b) => a + b, 0)

const fns = new Map<string, number>()
const areas = new Map<string, number>()
for (const [id, us] of self) {
  const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame
  const where = url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*\/(lib|bench)\//, '$1/')
  const name = `${functionName === '' ? '(anonymous)' : functionName} ${where}${url === '' ? '' : `:${lineNumber + 1}`}`
  fns.set(name, (fns.get(name) ?? 0) + us)
  areas.set(area(functionName, url), (areas.get(area(functionName, url)) ?? 0) + us)
}

function area (fn: string, url: string): string {
  if (fn === '(idle)') return 'idle (main thread waiting)'
  if (fn === '(garbage collector)') return 'GC'
  if (fn === 'stringify') return 'JSON.stringify'
  if (url.includes('@aws-sdk') || url.includes('@smithy') || url.includes('@aws-crypto')) return 'AWS SDK (incl. checksums, signing)'
  if (url.includes('node:zlib') || url.includes('internal/zlib')) return 'zlib (JS side)'
  if (url.includes('streams') || url.includes('node:stream')) return 'Node streams'
  if (url.includes('/lib/')) return 'this package (lib/)'
  if (url.includes('/bench/')) return 'bench harness (source, records)'
  if (url === '') return `native/other: ${fn}`
  return 'other JS'
}

const pct = (us: number): string => `${((us / total) * 100).toFixed(1)}%`
console.log(`total sampled ${(total / 1e6).toFixed(2)} s\n\nBy area:`)
for (const [name, us] of [...areas].sort((a, b) => b[1] - a[1])) console.log(`  ${pct(us).padStart(6)}  ${name}`)
console.log(`\nTop ${topArg} functions by self time:`)
for (const [name, us] of [...fns].sort((a, b) => b[1] - a[1]).slice(0, Number(topArg))) console.log(`  ${pct(us).padStart(6)}  ${name}`)
