import { createHash } from 'node:crypto'

/** What an upload sent, to recognise its object in S3 when the store's answer was lost. */
export interface SentObject {
  /** Bytes of the whole body. */
  bytes: number
  /** Hex MD5 of the whole body: the ETag of a multipart object on some stores (s3rver); `undefined` when not known (not hashed, see {@link needsBodyMd5}). */
  md5: () => string | undefined
  /** ETags S3 returned per part, by part number. */
  partEtags: ReadonlyMap<number, string>
}

/**
 * Whether a HeadObject answer describes the object this upload sent: same
 * size, and an ETag that only this content gives (S3's multipart ETag,
 * `md5(md5(part 1) … md5(part N))-N`, or the MD5 of the whole body). An
 * object someone else wrote there, or an older version of the key, fails
 * the check.
 *
 * @example
 * ```ts
 * if (isSentObject({ ContentLength, ETag }, sent)) return 'stored'
 * ```
 */
export function isSentObject (head: { ContentLength?: number, ETag?: string }, sent: SentObject): boolean {
  if (head.ContentLength !== sent.bytes || head.ETag === undefined) return false
  const etag = unquote(head.ETag)
  if (etag === multipartEtag(sent.partEtags)) return true
  const md5 = sent.md5()
  return md5 !== undefined && etag === md5
}

/** S3's ETag of a completed multipart upload, from the ETags of its parts; `undefined` without parts. */
export function multipartEtag (parts: ReadonlyMap<number, string>): string | undefined {
  if (parts.size === 0) return undefined
  const numbers = [...parts.keys()].sort((a, b) => a - b)
  const hash = createHash('md5')
  for (const n of numbers) hash.update(Buffer.from(unquote(parts.get(n) ?? ''), 'hex'))
  return `${hash.digest('hex')}-${numbers.length}`
}

/** An ETag without its quotes (and weak marker), lower case. */
export function unquote (etag: string): string {
  return etag.replace(/^(W\/)?"|"$/g, '').toLowerCase()
}
