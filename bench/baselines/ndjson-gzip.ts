import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createGzip } from 'node:zlib'
import ndjson from 'ndjson'
import { feedBytes, feedStream } from '../feed.js'
import type { RunRecord } from '../records.js'
import type { Work } from '../measure.js'

/**
 * What most people write first: `ndjson.stringify()` piped straight into
 * `zlib.createGzip()`, output discarded. Every record becomes its own chunk,
 * and zlib does one thread-pool job per chunk.
 *
 * @example
 * ```ts
 * await ndjsonGzip(pool, 100_000, 6)
 * ```
 */
export async function ndjsonGzip (pool: readonly RunRecord[], count: number, level: number): Promise<Work> {
  let outBytes = 0
  const discard = new Writable({
    write (chunk: Buffer, _encoding, cb) {
      outBytes += chunk.length
      cb()
    }
  })
  await pipeline(feedStream(pool, count), ndjson.stringify(), createGzip({ level }), discard)
  return { records: count, bytes: feedBytes(pool, count), outBytes }
}
