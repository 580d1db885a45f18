import { once } from 'node:events'
import type { Transform } from 'node:stream'
import { createGzip } from 'node:zlib'
import { feed, feedBytes } from '../feed.js'
import type { RunRecord } from '../records.js'
import type { Work } from '../measure.js'

const CHUNK = 64 * 1024

/**
 * The reference for any NDJSON + gzip pipeline: records `JSON.stringify`ed
 * into ~64 KiB strings, written straight into one zlib Gzip (no object
 * streams, no S3), output discarded. The loop waits for `'drain'` after each
 * write, so stringify and deflate take turns: a pipeline that keeps a chunk
 * queued ahead of zlib can beat it on two cores. {@link stringifyOnly} and
 * {@link gzipOnly} give the two halves; the slower one is the overlapped
 * bound.
 *
 * @example
 * ```ts
 * const { records, bytes, outBytes } = await limit(pool, 200_000, 6)
 * ```
 */
export async function limit (pool: readonly RunRecord[], count: number, level: number): Promise<Work> {
  const gz = createGzip({ level })
  let outBytes = 0
  gz.on('data', (chunk: Buffer) => { outBytes += chunk.length })
  const ended = once(gz, 'end')
  let text = ''
  for (const record of feed(pool, count)) {
    text += JSON.stringify(record) + '\n'
    if (text.length >= CHUNK) {
      const ok = gz.write(text)
      text = ''
      if (!ok) await once(gz, 'drain')
    }
  }
  gz.end(text)
  await ended
  return { records: count, bytes: feedBytes(pool, count), outBytes }
}

/**
 * The first half of {@link limit} alone: every record `JSON.stringify`ed into
 * ~64 KiB strings, no gzip.
 *
 * @example
 * ```ts
 * stringifyOnly(pool, 200_000) // { records, bytes }
 * ```
 */
export function stringifyOnly (pool: readonly RunRecord[], count: number): Work {
  let bytes = 0
  let text = ''
  for (const record of feed(pool, count)) {
    text += JSON.stringify(record) + '\n'
    if (text.length >= CHUNK) {
      bytes += Buffer.byteLength(text)
      text = ''
    }
  }
  bytes += Buffer.byteLength(text)
  return { records: count, bytes }
}

/**
 * The second half of {@link limit} alone: gzip over ready 64 KiB NDJSON
 * chunks (built off the clock by {@link ndjsonChunks}), through one zlib
 * stream (or the `encoder` given, e.g. a parallel gzip).
 *
 * @example
 * ```ts
 * await gzipOnly(chunks, 6)
 * ```
 */
export async function gzipOnly (chunks: readonly Buffer[], level: number, encoder: () => Transform = () => createGzip({ level })): Promise<Work> {
  const gz = encoder()
  let outBytes = 0
  gz.on('data', (chunk: Buffer) => { outBytes += chunk.length })
  const ended = once(gz, 'end')
  let bytes = 0
  for (const chunk of chunks) {
    bytes += chunk.length
    if (!gz.write(chunk)) await once(gz, 'drain')
  }
  gz.end()
  await ended
  return { records: 0, bytes, outBytes }
}

/**
 * The feed as ready ~64 KiB NDJSON Buffers, for {@link gzipOnly}.
 *
 * @example
 * ```ts
 * const chunks = ndjsonChunks(pool, 200_000)
 * ```
 */
export function ndjsonChunks (pool: readonly RunRecord[], count: number): Buffer[] {
  const chunks: Buffer[] = []
  let text = ''
  for (const record of feed(pool, count)) {
    text += JSON.stringify(record) + '\n'
    if (text.length >= CHUNK) {
      chunks.push(Buffer.from(text))
      text = ''
    }
  }
  if (text !== '') chunks.push(Buffer.from(text))
  return chunks
}
