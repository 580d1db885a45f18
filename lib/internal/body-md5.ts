import { createHash, type Hash } from 'node:crypto'
import { onAwsEndpoint, type EndpointConfig } from './on-aws-endpoint.js'
import { unquote } from './stored-object.js'

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
 * Not on AWS's own endpoints ({@link onAwsEndpoint}: S3 always tags a
 * multipart object `<32 hex>-N`, which {@link multipartEtag} rebuilds from
 * the parts' ETags), nor on a custom endpoint once one of its multipart
 * objects came back in that form (MinIO, Ceph). A custom endpoint not seen yet, or seen
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
  return !await onAwsEndpoint(client.config)
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

/**
 * The whole body's MD5 of a multipart upload, taken from its parts as they
 * are sent in order, only where the store may tag the object with it
 * ({@link needsBodyMd5}); the hashing stops as soon as the store is seen
 * to use S3's form, which another body of the same client may show
 * meanwhile. On AWS it is never taken: hashing every byte on the main
 * thread was ~4% of the zstd pipeline's CPU (bench/RESULTS.md, round 10).
 *
 * @example
 * ```ts
 * const md5 = new BodyMd5(client)
 * await md5.start()
 * md5.update(part1); md5.update(part2)
 * const hex = md5.digest() // undefined when not taken
 * ```
 */
export class BodyMd5 {
  readonly #client: { config?: EndpointConfig }
  #hash: Hash | null = null
  #digest: string | undefined

  constructor (client: { config?: EndpointConfig }) {
    this.#client = client
  }

  /** Decides, before the first part, whether this body is hashed. */
  async start (): Promise<void> {
    if (await needsBodyMd5(this.#client)) this.#hash = createHash('md5')
  }

  /** Adds the next part's bytes (parts in order: their bytes are the body's). */
  update (part: Buffer): void {
    if (this.#hash === null) return
    if (seenS3EtagForm(this.#client)) this.#hash = null
    else this.#hash.update(part)
  }

  /** Hex MD5 of the parts so far, once they are all in; `undefined` when the body is not hashed. */
  digest (): string | undefined {
    if (this.#hash === null) return undefined
    this.#digest ??= this.#hash.digest('hex')
    return this.#digest
  }
}
