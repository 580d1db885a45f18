import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { RunRecord } from '../records.js'
import type { Work } from '../measure.js'

/**
 * One object per Run the hand-written way: a PutObject per record, at most
 * `concurrency` in flight (1 = the plain sequential `await` loop). The body
 * is a Buffer by default, as the per-Run sink sends it (same bytes, same
 * type: the SDK treats strings and Buffers differently); `'string'` is the
 * loop as most people would write it.
 *
 * @example
 * ```ts
 * await putObjectLoop(pool, 1000, client, 'bench', 4)
 * ```
 */
export async function putObjectLoop (pool: readonly RunRecord[], count: number, client: S3Client, bucket: string, concurrency: number, body: 'buffer' | 'string' = 'buffer'): Promise<Work> {
  let next = 0
  let bytes = 0
  const prefix = `loop-${concurrency}-${Date.now()}`
  async function worker (): Promise<void> {
    while (next < count) {
      const i = next++
      const text = JSON.stringify(pool[i % pool.length])
      const Body = body === 'buffer' ? Buffer.from(text) : text
      bytes += Buffer.byteLength(text)
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${i}.json`, Body, ContentType: 'application/json' }))
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { records: count, bytes }
}

/** Sends one object: the part of a loop the per-Run cost variants change (signal, PutJob, checksum, client). */
export type PutOne = (client: S3Client, body: Buffer, key: string) => Promise<void>

/**
 * {@link putObjectLoop}'s shape with the send left to `put`: 8 workers, one
 * object per record under `prefix`, each body a Buffer of the record's JSON.
 *
 * @example
 * ```ts
 * await putLoopWith(pool, 1000, client, 'v1', async (c, Body, Key) => { await c.send(new PutObjectCommand({ Bucket: 'bench', Key, Body })) })
 * ```
 */
export async function putLoopWith (pool: readonly RunRecord[], count: number, client: S3Client, prefix: string, put: PutOne): Promise<void> {
  let next = 0
  const worker = async (): Promise<void> => {
    while (next < count) {
      const i = next++
      await put(client, Buffer.from(JSON.stringify(pool[i % pool.length])), `${prefix}/${i}.json`)
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
}

/**
 * A client whose `send()` costs nothing and answers like a PutObject: the
 * sink's or loop's own work without the SDK's.
 *
 * @example
 * ```ts
 * await putLoopWith(pool, 1000, nullClient(), 'v2', async (c, Body, Key) => { await c.send(new PutObjectCommand({ Bucket: 'bench', Key, Body })) })
 * ```
 */
export function nullClient (): S3Client {
  return { send: async () => ({ ETag: '"null"', $metadata: {} }), destroy: () => {}, config: {} } as unknown as S3Client
}
