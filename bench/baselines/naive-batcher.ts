import { gzipSync } from 'node:zlib'
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { feedBytes, feedStream } from '../feed.js'
import type { RunRecord } from '../records.js'
import type { Work } from '../measure.js'

/**
 * The naive batcher: collect the whole feed into an array, `JSON.stringify`
 * each record, `gzipSync` the lot and send it with one PutObject. Fast on a
 * small feed; memory grows with the feed, and a feed whose NDJSON passes V8's
 * string limit (about 512 MiB) cannot be sent at all.
 *
 * @example
 * ```ts
 * await naiveBatcher(feedStream(pool, n), client, 'bench', 6)
 * ```
 */
export async function naiveBatcher (source: AsyncIterable<unknown>, client: S3Client, bucket: string, level: number): Promise<Work> {
  const all: unknown[] = []
  for await (const record of source) all.push(record)
  const text = all.map((record) => JSON.stringify(record)).join('\n') + '\n'
  const body = gzipSync(text, { level })
  await client.send(new PutObjectCommand({ Bucket: bucket, Key: `naive/${Date.now()}.ndjson.gz`, Body: body, ContentEncoding: 'gzip', ContentType: 'application/x-ndjson' }))
  return { records: all.length, bytes: Buffer.byteLength(text), outBytes: body.length }
}

/**
 * {@link naiveBatcher} over `count` records cycled from `pool`.
 *
 * @example
 * ```ts
 * await naiveFromPool(pool, 200_000, client, 'bench', 6)
 * ```
 */
export async function naiveFromPool (pool: readonly RunRecord[], count: number, client: S3Client, bucket: string, level: number): Promise<Work> {
  const work = await naiveBatcher(feedStream(pool, count), client, bucket, level)
  return { ...work, bytes: feedBytes(pool, count) }
}
