import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import type { RunRecord } from '../records.js'
import type { Work } from '../measure.js'

/**
 * One object per Run the hand-written way: a PutObject per record, at most
 * `concurrency` in flight (1 = the plain sequential `await` loop).
 *
 * @example
 * ```ts
 * await putObjectLoop(pool, 1000, client, 'bench', 4)
 * ```
 */
export async function putObjectLoop (pool: readonly RunRecord[], count: number, client: S3Client, bucket: string, concurrency: number): Promise<Work> {
  let next = 0
  let bytes = 0
  const prefix = `loop-${concurrency}-${Date.now()}`
  async function worker (): Promise<void> {
    while (next < count) {
      const i = next++
      const body = JSON.stringify(pool[i % pool.length])
      bytes += Buffer.byteLength(body)
      await client.send(new PutObjectCommand({ Bucket: bucket, Key: `${prefix}/${i}.json`, Body: body, ContentType: 'application/json' }))
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker))
  return { records: count, bytes }
}
