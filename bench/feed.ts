import { Readable } from 'node:stream'
import { recordGenerator, type RunRecord } from './records.js'

/**
 * `count` records generated up front. Rows that should not pay for
 * generation cycle over such a pool.
 *
 * @example
 * ```ts
 * const pool = recordPool(50_000)
 * ```
 */
export function recordPool (count: number, seed = 1): RunRecord[] {
  const gen = recordGenerator(seed)
  return Array.from({ length: count }, () => gen.next())
}

/**
 * Yields `count` records, cycling over `pool`. The pool is far larger than
 * gzip's 32 KiB window, so cycling does not make the feed compress better.
 *
 * @example
 * ```ts
 * for (const record of feed(pool, 1_000_000)) JSON.stringify(record)
 * ```
 */
export function * feed (pool: readonly RunRecord[], count: number): Generator<RunRecord> {
  for (let i = 0; i < count; i++) yield pool[i % pool.length] as RunRecord
}

/**
 * An object-mode Readable of `count` records cycled from `pool`, pushing in
 * runs so the source costs as little as possible per record.
 *
 * @example
 * ```ts
 * await pipeline(feedStream(pool, 100_000), filterApis(), minuteWindow(), gzip(), sink)
 * ```
 */
export function feedStream (pool: readonly RunRecord[], count: number): Readable {
  let i = 0
  return countedStream(count, () => pool[i++ % pool.length])
}

/** `count` records from `next()`, pushed while the reader wants more. */
function countedStream (count: number, next: () => unknown): Readable {
  let i = 0
  return new Readable({
    objectMode: true,
    highWaterMark: 256,
    read () {
      while (i < count) {
        i++
        if (!this.push(next())) return
      }
      this.push(null)
    }
  })
}

/**
 * Mean JSON size of a record, newline included, over the first `sample`
 * records of `seed`: turns a feed size in bytes into a record count.
 *
 * @example
 * ```ts
 * const count = Math.ceil(200e6 / meanRecordBytes())
 * ```
 */
export function meanRecordBytes (sample = 20_000, seed = 1): number {
  const gen = recordGenerator(seed)
  let bytes = 0
  for (let i = 0; i < sample; i++) bytes += Buffer.byteLength(JSON.stringify(gen.next())) + 1
  return bytes / sample
}

/**
 * An object-mode Readable that generates `count` records on the fly: memory
 * stays flat however big the feed is (generation cost is included in
 * whatever the reader measures).
 *
 * @example
 * ```ts
 * await pipeline(generatedStream(6_000_000), filterApis(), minuteWindow(), gzip(), sink)
 * ```
 */
export function generatedStream (count: number, seed = 1): Readable {
  const gen = recordGenerator(seed)
  return countedStream(count, () => gen.next())
}

const poolBytes = new WeakMap<readonly RunRecord[], number[]>()

/**
 * Exact uncompressed NDJSON size of the first `count` records of a
 * {@link feed} over `pool`, newlines included (computed once per pool, off
 * the clock).
 *
 * @example
 * ```ts
 * const mb = feedBytes(pool, 1_000_000) / 1e6
 * ```
 */
export function feedBytes (pool: readonly RunRecord[], count: number): number {
  let prefix = poolBytes.get(pool)
  if (prefix === undefined) {
    prefix = [0]
    for (const record of pool) prefix.push((prefix.at(-1) as number) + Buffer.byteLength(JSON.stringify(record)) + 1)
    poolBytes.set(pool, prefix)
  }
  const whole = Math.floor(count / pool.length)
  return whole * (prefix[pool.length] as number) + (prefix[count % pool.length] as number)
}
