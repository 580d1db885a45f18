import { HeadObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { retrying, type RetryContext } from './retry-loop.js'
import { isSentObject, type SentObject } from './stored-object.js'

/**
 * After a request whose answer was lost: HeadObject (retried like the
 * request, on its signal) says whether the store holds the very object
 * `sent` describes. Its ETag as a synthetic answer, or `null` (not there, not
 * ours, or the lookup failed).
 *
 * @example
 * ```ts
 * const found = await findSent(client, { Bucket, Key }, { bytes, md5, partEtags }, ctx)
 * ```
 */
export async function findSent (client: S3Client, at: { Bucket: string, Key: string }, sent: SentObject, ctx: RetryContext): Promise<{ ETag?: string } | null> {
  const head = await retrying(async () => await client.send(new HeadObjectCommand({ Bucket: at.Bucket, Key: at.Key }), { abortSignal: ctx.signal }),
    ctx, { attempts: 0, ambiguous: false }).catch(() => null)
  if (head === null || !isSentObject(head, sent)) return null
  return { ETag: head.ETag }
}
