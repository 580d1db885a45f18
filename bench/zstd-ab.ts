// zstd as one frame compressed one pool job per block (the default) against a frame per block (rounds 6-8's default,
// which node:zlib's decoder reads only the first frame of), node:zlib's zstd stream and one gzip stream, same pipeline, interleaved.
//   node --import tsx bench/zstd-ab.ts [records=150000] [rounds=5]
import './env.js'
import { createGzip } from 'node:zlib'
import { createZstd } from '../lib/internal/zstd.js'
import { ZstdFrame } from '../lib/internal/zstd-frame.js'
import { FramePerBlockZstd } from './baselines/frame-per-block-zstd.js'
import { discardClient } from './discard-client.js'
import { feedStream, recordPool } from './feed.js'
import { oursWithEncoder } from './ours.js'

const [countArg = '150000', roundsArg = '5'] = process.argv.slice(2)
const count = Number(countArg)
const pool = recordPool(100_000)
const variants: Record<string, () => import('node:stream').Transform> = {
  'gzip 6, one stream': () => createGzip({ level: 6, chunkSize: 64 * 1024 }),
  'zstd 3, stream on the pool': () => createZstd(3, 64 * 1024),
  'zstd 3, one frame, a job per block': () => new ZstdFrame({ level: 3, blockSize: 1024 * 1024 }),
  'zstd 3, a frame per block': () => new FramePerBlockZstd({ level: 3, blockSize: 1024 * 1024, blocksInFlight: 2 })
}
const rates: Record<string, number[]> = {}
const sizes: Record<string, number> = {}
for (let round = 0; round < Number(roundsArg) + 1; round++) {
  const names = Object.keys(variants)
  for (const name of round % 2 === 0 ? names : names.reverse()) {
    const { client } = discardClient()
    const t0 = process.hrtime.bigint()
    const work = await oursWithEncoder(feedStream(pool, count), client, 'bench', variants[name] as () => import('node:stream').Transform, name.startsWith('zstd') ? 'zstd' : 'gzip')
    const s = Number(process.hrtime.bigint() - t0) / 1e9
    if (round > 0) (rates[name] ??= []).push(work.records / s)
    sizes[name] = work.outBytes ?? 0
  }
}
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
const base = median(rates['gzip 6, one stream'] as number[])
for (const [name, xs] of Object.entries(rates)) {
  console.log(`${name.padEnd(28)} ${Math.round(median(xs)).toLocaleString('en').padStart(9)} rec/s  ${(median(xs) / base).toFixed(2)}x gzip  size ${(sizes[name] as number / (sizes['gzip 6, one stream'] as number)).toFixed(3)}x  [${xs.map((x) => Math.round(x / 1000)).join(' ')}]k`)
}
