import { createHash, type Hash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'

/** What an upload sent, to recognise its object in S3 when the store's answer was lost. */
export interface SentObject {
  /** Bytes of the whole body. */
  bytes: number
  /** Hex MD5 of the whole body: the ETag of a single PutObject, and of a multipart object on some stores (s3rver, MinIO in some modes). */
  md5: () => string
  /** ETags S3 returned per part, by part number. */
  partEtags: ReadonlyMap<number, string>
}

/**
 * The parts of one multipart upload as S3 acknowledged them: collects the
 * ETag of every UploadPart answer (a retried part replaces its entry).
 */
export class PartLog {
  readonly etags = new Map<number, string>()

  /** Records an UploadPart answer, given the command's input. */
  add (input: { PartNumber?: number }, result: { ETag?: string }): void {
    if (input.PartNumber !== undefined && result.ETag !== undefined) this.etags.set(input.PartNumber, result.ETag)
  }
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
  return etag === multipartEtag(sent.partEtags) || etag === sent.md5()
}

/** S3's ETag of a completed multipart upload, from the ETags of its parts; `undefined` without parts. */
export function multipartEtag (parts: ReadonlyMap<number, string>): string | undefined {
  if (parts.size === 0) return undefined
  const numbers = [...parts.keys()].sort((a, b) => a - b)
  const hash = createHash('md5')
  for (const n of numbers) hash.update(Buffer.from(unquote(parts.get(n) ?? ''), 'hex'))
  return `${hash.digest('hex')}-${numbers.length}`
}

function unquote (etag: string): string {
  return etag.replace(/^(W\/)?"|"$/g, '').toLowerCase()
}

/**
 * Counts (and hashes) the bytes of a streamed body on their way into the
 * upload. MD5 costs far less than the gzip that made the bytes, and it is
 * what proves a lost CompleteMultipartUpload answer hid a success.
 */
export class ByteCounter extends Transform {
  bytes = 0
  readonly #hash: Hash = createHash('md5')
  #digest: string | undefined

  override _transform (chunk: Buffer, _encoding: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length
    this.#hash.update(chunk)
    cb(null, chunk)
  }

  /** MD5 of every byte seen; call once the body has ended. */
  md5 (): string {
    this.#digest ??= this.#hash.digest('hex')
    return this.#digest
  }
}
