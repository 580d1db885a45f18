// SigV4 UNSIGNED-PAYLOAD (lib/internal/unsigned-payload.ts) in the batched pipeline: the same lib/ on both sides,
// filterApis → minuteWindow → compress → s3Writable into a fresh discarding client per run; the "new" side's client
// gets skipPayloadHash() applied explicitly (the sink applies it only to the clients it builds itself, and the
// discarding client is a caller's), the "base" side's does not. Nothing else differs. The discarding client has no
// endpoint, so it is on AWS's own endpoint over https and the middleware's conditions hold: each run checks that
// every body of the new side went UNSIGNED-PAYLOAD and none of the base side's did.
// The two sides of a row run back to back, in alternating order, so load moves both alike; round 0 is a warm-up.
//   node --import tsx bench/unsigned-ab.ts [records=150000] [rounds=12] [rows=gzip,zstd] [ab; aa: the A/A control; rehash]
// Rows: gzip (default compress(): gzip 6, one stream), zstd (compress({ compression: 'zstd' }), level 3; Node >= 22.15).
// Main-thread CPU: process.threadCpuUsage() where Node has it (>= 23.9), else /proc/thread-self/schedstat's run
// time (ns; Linux), else /proc ticks (10 ms). At the end: the SHA-256 the new side no longer takes, timed alone on
// the same bytes per record, the figure the pipeline's paired delta should approach.
import './env.js'
import { createHash, randomBytes } from 'node:crypto'
import { loadavg } from 'node:os'
import { performance } from 'node:perf_hooks'
import { pipeline } from 'node:stream/promises'
import type { Writable } from 'node:stream'
import type { S3Client } from '@aws-sdk/client-s3'
import { Sha256 as SdkSha256 } from '@smithy/core/checksum'
import { compress, filterApis, minuteWindow, s3Writable, type CompressOptions } from '../lib/index.js'
import { skipPayloadHash } from '../lib/internal/unsigned-payload.js'
import { discardClient } from './discard-client.js'
import { cpuSource, mainCpu } from './main-thread-cpu.js'
import { median, medianInterval } from './measure.js'
import { feedStream, recordPool } from './feed.js'

const [countArg = '150000', roundsArg = '12', rowsArg = 'gzip,zstd', modeArg = 'ab'] = process.argv.slice(2)
// 'aa': the control, both sides without the middleware: how often "new lower" comes up, and how far, by chance alone.
const control = modeArg === 'aa'
// 'rehash': the new side skips the SDK's hash as in 'ab' but takes a SHA-256 of each body itself, in a middleware
// right before the signer, and throws it away: whatever "new" still saves then is not the hash's own CPU.
const rehash = modeArg === 'rehash'
const count = Number(countArg)
const rounds = Number(roundsArg)
const pool = recordPool(100_000)
const ROWS: Record<string, CompressOptions> = { gzip: {}, zstd: { compression: 'zstd' } }
const rows = rowsArg.split(',')
for (const row of rows) if (ROWS[row] === undefined) throw new Error(`unknown row ${row}`)
const SIDES = ['base', 'new'] as const
type Side = typeof SIDES[number]


/** Adds the SHA-256 of every Buffer body back, on the main thread just before signing, its digest unused. */
function hashBodies (client: S3Client): void {
  const middleware = (next: (args: object) => Promise<unknown>) => async (args: { request?: { body?: unknown } }): Promise<unknown> => {
    const body = args.request?.body
    if (body instanceof Uint8Array) createHash('sha256').update(body).digest()
    return await next(args)
  }
  client.middlewareStack.addRelativeTo(middleware as unknown as Parameters<S3Client['middlewareStack']['addRelativeTo']>[0],
    { name: 'benchRehash', relation: 'before', toMiddleware: 'httpSigningMiddleware' })
}

interface Run { main: number, rate: number, idle: number, bodyBytes: number, bodies: number, unsigned: number }

async function run (row: string, side: Side): Promise<Run> {
  const { client, stats } = discardClient()
  if (side === 'new' && !control) skipPayloadHash(client)
  if (side === 'new' && rehash) hashBodies(client)
  const m0 = mainCpu()
  const e0 = performance.eventLoopUtilization()
  const t0 = process.hrtime.bigint()
  await pipeline(feedStream(pool, count), filterApis(), minuteWindow(), compress(ROWS[row]) as unknown as Writable,
    s3Writable({ bucket: 'bench', client, prefix: 'ab' }))
  const wall = Number(process.hrtime.bigint() - t0) / 1e9
  const main = (mainCpu() - m0) / count
  return {
    main,
    rate: count / wall,
    idle: performance.eventLoopUtilization(e0).idle / (wall * 1000),
    bodyBytes: stats.bodyBytes,
    bodies: stats.bodies,
    unsigned: stats.unsignedBodies
  }
}

const results = new Map<string, Run[]>()
// Rows in a fixed order, each row's two sides next to each other, their order swapped every round: each side runs
// first (after the previous row) in half the rounds and second (after its own row's other side) in the other half.
// Reversing the whole list instead puts one side after the other row more often than the other side (the A/A
// control of that order had the gzip row's "new" +0.11 µs/record, higher in 14 of 20, with nothing different).
const orderOf = (r: number): Array<[string, Side]> => rows.flatMap((row) => (r % 2 === 0 ? SIDES : [...SIDES].reverse()).map((side): [string, Side] => [row, side]))
console.log(`${control ? 'A/A CONTROL (no side has the middleware); ' : rehash ? 'REHASH (new: unsigned, but the bench hashes each body itself); ' : ''}${count} records, ${rounds} rounds + warm-up; ${process.version}; main-thread CPU from ${cpuSource}; load ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the start`)
for (let r = 0; r <= rounds; r++) {
  for (const [row, side] of orderOf(r)) {
    const result = await run(row, side)
    // The A/B means something only if the middleware applied to every body of the new side and to none of the base's.
    if (result.unsigned !== (side === 'new' && !control ? result.bodies : 0)) throw new Error(`${row} ${side}: ${result.unsigned} of ${result.bodies} bodies went UNSIGNED-PAYLOAD`)
    if (r > 0) results.set(`${row} ${side}`, [...results.get(`${row} ${side}`) ?? [], result])
  }
  if (r > 0) {
    const cells = rows.map((row) => {
      const b = (results.get(`${row} base`) as Run[])[r - 1] as Run
      const n = (results.get(`${row} new`) as Run[])[r - 1] as Run
      return `${row} ${b.main.toFixed(3)} → ${n.main.toFixed(3)} (${sign(n.main - b.main)}), ${Math.round(b.rate / 1000)}k → ${Math.round(n.rate / 1000)}k rec/s`
    })
    console.log(`round ${String(r).padStart(2)}  load ${loadavg()[0]?.toFixed(2) ?? '?'}  ${cells.join(';  ')}`)
  }
}

function sign (x: number): string { return `${x >= 0 ? '+' : '−'}${Math.abs(x).toFixed(3)}` }


// The SHA-256 the new side skips, alone: the same number of bytes per record, hashed in part-sized Buffers.
// Timed in main-thread CPU, as the rounds are, not in wall time, which other load stretches.
const sha256NsPerByte = ((): number => {
  const buf = randomBytes(5 * 1024 * 1024)
  const times: number[] = []
  for (let i = 0; i < 15; i++) {
    const c0 = mainCpu()
    for (let j = 0; j < 10; j++) createHash('sha256').update(buf).digest('hex')
    times.push((mainCpu() - c0) * 1000 / (10 * buf.length))
  }
  return median(times.slice(3))
})()

// The removed work counted, not timed: one more run per side with the S3 client's SHA-256 class (its config's
// `sha256`, @smithy/core/checksum's Sha256, which the SigV4 signer hashes payloads with) wrapped, summing the bytes
// its unkeyed instances are given (the signer's HMACs, keyed and on short strings, left out). Outside the timed rounds: the wrapper costs a little per call.
const sha256Bytes = new Map<string, number>()
{
  const proto = SdkSha256.prototype as unknown as { update: (data: unknown) => void }
  const original = proto.update
  let bytes = 0
  proto.update = function (this: { isHmac?: boolean }, data: unknown) {
    if (this.isHmac !== true) bytes += typeof data === 'string' ? Buffer.byteLength(data) : (data as ArrayBufferView).byteLength
    original.call(this, data)
  }
  try {
    for (const row of rows) {
      for (const side of SIDES) {
        bytes = 0
        await run(row, side)
        sha256Bytes.set(`${row} ${side}`, bytes)
      }
    }
  } finally {
    proto.update = original
  }
}

console.log(`load ${loadavg().map((x) => x.toFixed(2)).join(' ')} at the end; SHA-256 alone ${sha256NsPerByte.toFixed(3)} ns/byte (5 MiB Buffers, median)`)
for (const row of rows) {
  const base = results.get(`${row} base`) as Run[]
  const next = results.get(`${row} new`) as Run[]
  const deltas = next.map((n, i) => n.main - (base[i] as Run).main)
  const ratios = next.map((n, i) => n.rate / (base[i] as Run).rate)
  const bytesPerRecord = median(base.map((b) => b.bodyBytes)) / count
  console.log(`${row}: main CPU µs/record base min ${Math.min(...base.map((b) => b.main)).toFixed(3)} median ${median(base.map((b) => b.main)).toFixed(3)}; new min ${Math.min(...next.map((n) => n.main)).toFixed(3)} median ${median(next.map((n) => n.main)).toFixed(3)}`)
  const [lo, hi] = medianInterval(deltas)
  console.log(`  new − base paired: median ${sign(median(deltas))} µs/record [${sign(Math.min(...deltas))} – ${sign(Math.max(...deltas))}], 95% interval of the median ${sign(lo)} – ${sign(hi)}, new lower in ${deltas.filter((x) => x < 0).length} of ${deltas.length}`)
  console.log(`  records/s new ÷ base ${median(ratios).toFixed(3)}x [${Math.min(...ratios).toFixed(2)} – ${Math.max(...ratios).toFixed(2)}]; main idle base ${(100 * median(base.map((b) => b.idle))).toFixed(1)}% new ${(100 * median(next.map((n) => n.idle))).toFixed(1)}%`)
  console.log(`  bytes given to SHA-256 per record (one counted run per side): base ${((sha256Bytes.get(`${row} base`) ?? NaN) / count).toFixed(2)}, new ${((sha256Bytes.get(`${row} new`) ?? NaN) / count).toFixed(2)}`)
  console.log(`  bodies ${bytesPerRecord.toFixed(2)} bytes/record; ${median(base.map((b) => b.bodies))} body requests per run, ${control ? 'none' : 'all'} UNSIGNED-PAYLOAD on the new side, none on the base; SHA-256 of those bytes alone ${(bytesPerRecord * sha256NsPerByte / 1000).toFixed(4)} µs/record`)
}
