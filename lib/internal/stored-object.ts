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

function unquote (etag: string): string {
  return etag.replace(/^(W\/)?"|"$/g, '').toLowerCase()
}

/** How a client's store has been seen to tag multipart objects: S3's form (`<32 hex>-N`) or a plain 32-hex MD5 of the body. */
type MultipartEtagForm = 'parts' | 'body'
/** Per client, process-wide: learned from the ETags of its multipart objects. */
const etagForms = new WeakMap<object, MultipartEtagForm>()

/**
 * Records the ETag a store gave a multipart object of `client` (a
 * CompleteMultipartUpload answer, or HeadObject of an object found ours).
 * An ETag of neither form (an SSE-C store, a stub) teaches nothing.
 *
 * @example
 * ```ts
 * learnMultipartEtag(client, answer.ETag)
 * ```
 */
export function learnMultipartEtag (client: object, etag: string | undefined): void {
  if (etag === undefined) return
  const tag = unquote(etag)
  if (/^[0-9a-f]{32}-\d+$/.test(tag)) etagForms.set(client, 'parts')
  else if (/^[0-9a-f]{32}$/.test(tag)) etagForms.set(client, 'body')
}

/**
 * Whether a multipart body sent through `client` must be hashed whole for
 * {@link isSentObject}: only where its multipart ETag may be the body's MD5.
 * Not on AWS's own endpoints (S3 always tags a multipart object
 * `<32 hex>-N`, which {@link multipartEtag} rebuilds from the parts' ETags),
 * nor on a custom endpoint once one of its multipart objects came back in
 * that form (MinIO, Ceph). A custom endpoint not seen yet, or seen
 * giving a plain MD5 (s3rver), hashes; so does a client without the SDK's
 * config (a caller's stub).
 *
 * @example
 * ```ts
 * const hash = await needsBodyMd5(client) ? createHash('md5') : null
 * ```
 */
export async function needsBodyMd5 (client: { config?: EndpointConfig }): Promise<boolean> {
  const form = etagForms.get(client)
  if (form !== undefined) return form === 'body'
  const config = client.config
  if (config?.isCustomEndpoint !== false) return true
  // The SDK sends to AWS_ENDPOINT_URL(_S3) or a config file's endpoint_url without marking the client custom.
  if (config.ignoreConfiguredEndpointUrls === true || config.serviceConfiguredEndpoint === undefined) return false
  return await config.serviceConfiguredEndpoint() !== undefined
}

/**
 * Whether `client`'s store has been seen to tag a multipart object S3's way
 * (a body being hashed may stop then).
 *
 * @example
 * ```ts
 * if (seenS3EtagForm(client)) hash = null
 * ```
 */
export function seenS3EtagForm (client: object): boolean {
  return etagForms.get(client) === 'parts'
}

/** The fields of the SDK's resolved config that tell where requests go. */
interface EndpointConfig {
  isCustomEndpoint?: boolean
  ignoreConfiguredEndpointUrls?: boolean
  serviceConfiguredEndpoint?: () => Promise<string | undefined>
}
