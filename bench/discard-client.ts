import { Readable } from 'node:stream'
import { S3Client } from '@aws-sdk/client-s3'
import { HttpResponse } from '@smithy/core/protocols'

/** What a {@link discardClient} received. */
export interface DiscardStats {
  requests: number
  /** Body bytes of PutObject and UploadPart requests. */
  bodyBytes: number
  /** Objects completed: single PutObjects plus CompleteMultipartUploads. */
  objects: number
  /** PutObject and UploadPart requests: the ones with a body. */
  bodies: number
  /** Those of them signed with `x-amz-content-sha256: UNSIGNED-PAYLOAD` (their body not hashed). */
  unsignedBodies: number
}

interface RequestLike {
  method: string
  path: string
  query?: Record<string, unknown>
  headers?: Record<string, string>
  body?: unknown
}

/**
 * An S3Client whose every request is accepted and thrown away in-process: no
 * network, no server. The SDK still builds, signs and checksums each request
 * exactly as it would for AWS, so a pipeline into it measures everything but
 * the wire. `latencyMs` delays every answer, as a store's round trip would.
 * Without `endpoint` the client is one of AWS's (`isCustomEndpoint` false);
 * with one (never dialled) it is a custom endpoint's, as for MinIO. A
 * completed multipart object is tagged S3's way (`<32 hex>-<parts>`), as AWS,
 * MinIO and Ceph do.
 *
 * @example
 * ```ts
 * const { client, stats } = discardClient()
 * await pipeline(source, minuteWindow(), gzip(), s3Writable({ bucket: 'bench', client }))
 * console.log(stats.bodyBytes)
 * ```
 */
export function discardClient (latencyMs = 0, { endpoint }: { endpoint?: string } = {}): { client: S3Client, stats: DiscardStats } {
  const stats: DiscardStats = { requests: 0, bodyBytes: 0, objects: 0, bodies: 0, unsignedBodies: 0 }
  let uploads = 0
  const parts = new Map<string, number>()
  const handler = {
    async handle (request: RequestLike): Promise<{ response: HttpResponse }> {
      stats.requests++
      const bytes = await drain(request.body)
      // A store's round trip, without its CPU: what makes objects in flight matter.
      if (latencyMs > 0) await new Promise((resolve) => setTimeout(resolve, latencyMs))
      const query = request.query ?? {}
      const [bucket = '', ...rest] = request.path.replace(/^\//, '').split('/')
      const key = rest.join('/')
      if (request.method === 'POST' && 'uploads' in query) {
        return reply(200, {}, `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>u${++uploads}</UploadId></InitiateMultipartUploadResult>`)
      }
      if (request.method === 'POST' && 'uploadId' in query) {
        stats.objects++
        const etag = `"${'0'.repeat(32)}-${parts.get(String(query.uploadId)) ?? 1}"`
        parts.delete(String(query.uploadId))
        return reply(200, {}, `<CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><ETag>${etag}</ETag></CompleteMultipartUploadResult>`)
      }
      if (request.method === 'DELETE') return reply(204, {}, '')
      if (request.method === 'PUT') {
        stats.bodyBytes += bytes
        stats.bodies++
        if (request.headers?.['x-amz-content-sha256'] === 'UNSIGNED-PAYLOAD') stats.unsignedBodies++
        if (!('partNumber' in query)) stats.objects++
        else parts.set(String(query.uploadId), (parts.get(String(query.uploadId)) ?? 0) + 1)
        return reply(200, { etag: '"discarded"' }, '')
      }
      return reply(200, {}, '')
    },
    updateHttpClientConfig (): void {},
    httpHandlerConfigs (): Record<string, never> { return {} },
    destroy (): void {}
  }
  const client = new S3Client({
    region: 'us-east-1',
    credentials: { accessKeyId: 'DISCARD', secretAccessKey: 'DISCARD' },
    forcePathStyle: true,
    requestHandler: handler,
    ...(endpoint === undefined ? {} : { endpoint })
  })
  return { client, stats }
}

function reply (statusCode: number, headers: Record<string, string>, xml: string): { response: HttpResponse } {
  const body = Readable.from(xml === '' ? [] : [Buffer.from(xml)])
  return { response: new HttpResponse({ statusCode, headers, body }) }
}

/** Reads a request body to its end; returns its size in bytes. */
async function drain (body: unknown): Promise<number> {
  if (body === undefined || body === null) return 0
  if (typeof body === 'string') return Buffer.byteLength(body)
  if (body instanceof Uint8Array) return body.byteLength
  if (body instanceof Readable || isAsyncIterable(body)) {
    let bytes = 0
    for await (const chunk of body as AsyncIterable<Uint8Array | string>) bytes += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength
    return bytes
  }
  return 0
}

function isAsyncIterable (value: unknown): value is AsyncIterable<unknown> {
  return typeof (value as { [Symbol.asyncIterator]?: unknown })[Symbol.asyncIterator] === 'function'
}
