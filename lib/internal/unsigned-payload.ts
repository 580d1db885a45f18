import type { S3Client } from '@aws-sdk/client-s3'
import { onAwsEndpoint, type EndpointConfig } from './on-aws-endpoint.js'

/** The header SigV4 signs in place of the body: the body's SHA-256 in hex, or a literal such as `UNSIGNED-PAYLOAD`. */
const CONTENT_SHA256 = 'x-amz-content-sha256'
/** The requests that carry the sink's bodies: the only ones whose hash costs anything. */
const BODY_COMMANDS = new Set(['PutObjectCommand', 'UploadPartCommand'])

/** The part of an `HttpRequest` looked at here (the SDK's own type is not a dependency of this package). */
interface RequestLike {
  protocol?: string
  headers?: Record<string, string>
}

type Next = (args: { request?: unknown }) => Promise<unknown>

/**
 * Whether a request about to be signed may go with `UNSIGNED-PAYLOAD`
 * instead of its body's SHA-256: over `https:` only, with an
 * `x-amz-checksum-*` header (S3 verifies that checksum of the body), and
 * with no `x-amz-content-sha256` already chosen (a streamed body's
 * `STREAMING-UNSIGNED-PAYLOAD-TRAILER`, a caller's own value).
 *
 * @example
 * ```ts
 * mayLeavePayloadUnsigned({ protocol: 'https:', headers: { 'x-amz-checksum-crc32': 'AAAAAA==' } }) // true
 * ```
 */
export function mayLeavePayloadUnsigned (request: RequestLike): boolean {
  if (request.protocol !== 'https:' || request.headers === undefined) return false
  let checksum = false
  for (const name of Object.keys(request.headers)) {
    const lower = name.toLowerCase()
    if (lower === CONTENT_SHA256) return false
    if (lower.startsWith('x-amz-checksum-') && lower !== 'x-amz-checksum-type') checksum = true
  }
  return checksum
}

/**
 * Lets the SDK sign the sink's PutObject and UploadPart requests without
 * hashing their bodies: a middleware just before `httpSigningMiddleware`
 * (step `finalizeRequest`, after the build step's `flexibleChecksumsMiddleware`
 * has set the CRC32 header) sets `x-amz-content-sha256: UNSIGNED-PAYLOAD`,
 * and the signer (`getPayloadHash` in `@smithy/signature-v4`) takes a header
 * already there instead of the SHA-256 of a Buffer body. The request is
 * still signed (its headers, the CRC32 header included); only the body is
 * left to S3's check of that CRC32, and to TLS in transit. That is what
 * AWS's Java SDK v2 does for S3 over HTTPS (its SigV4 signer signs the
 * payload only over plain HTTP or when asked to). The SHA-256 of every
 * part was about 2% of the zstd pipeline's main thread (bench/RESULTS.md,
 * round 10).
 *
 * Only on AWS's own endpoints ({@link onAwsEndpoint}): a store behind a
 * custom endpoint may not accept `UNSIGNED-PAYLOAD` on a PUT, and one that
 * ignores the checksum header would be left with nothing but TLS. Over
 * `http:`, without a checksum header (`WHEN_REQUIRED` profiles) or for
 * any other command the body stays signed. Used only on the clients this
 * package builds (`createUploadClient`), never on a caller's.
 *
 * @example
 * ```ts
 * const client = new S3Client({ region: 'eu-west-1' })
 * skipPayloadHash(client)
 * ```
 */
export function skipPayloadHash (client: S3Client): void {
  const config = client.config as EndpointConfig
  let aws: Promise<boolean> | undefined
  const middleware = (next: Next, context: { commandName?: string }) => async (args: { request?: unknown }): Promise<unknown> => {
    if (!BODY_COMMANDS.has(context.commandName ?? '')) return await next(args)
    const request = args.request as RequestLike | undefined
    if (request === undefined || !mayLeavePayloadUnsigned(request)) return await next(args)
    // Decided once per client: where it sends does not change, and the configured endpoint is read from files.
    aws ??= onAwsEndpoint(config)
    if (!await aws) return await next(args)
    return await next({ ...args, request: { ...request, headers: { ...request.headers, [CONTENT_SHA256]: 'UNSIGNED-PAYLOAD' } } })
  }
  client.middlewareStack.addRelativeTo(middleware as unknown as Parameters<S3Client['middlewareStack']['addRelativeTo']>[0], {
    name: 'sinkUnsignedPayloadMiddleware',
    relation: 'before',
    toMiddleware: 'httpSigningMiddleware',
    override: true
  })
}
