import { createServer, type IncomingMessage, type ServerResponse } from 'node:http'
import type { AddressInfo } from 'node:net'

/** What the server took in. */
export interface DiscardServerStats {
  requests: number
  bodyBytes: number
  objects: number
}

/**
 * An S3 endpoint on 127.0.0.1 that accepts every PutObject and multipart
 * request, reads the body and throws it away: the CLI's memory run needs a
 * real HTTP endpoint (it builds its own client), and a real store would
 * measure the store.
 *
 * @example
 * ```ts
 * const server = await startDiscardServer()
 * // s3-sink --endpoint server.endpoint --force-path-style --bucket bench ...
 * await server.close()
 * ```
 */
export async function startDiscardServer (): Promise<{ endpoint: string, stats: DiscardServerStats, close: () => Promise<void> }> {
  const stats: DiscardServerStats = { requests: 0, bodyBytes: 0, objects: 0 }
  let uploads = 0
  const parts = new Map<string, number>()
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    stats.requests++
    req.on('data', (chunk: Buffer) => { stats.bodyBytes += chunk.length })
    req.on('end', () => {
      const url = new URL(req.url ?? '/', 'http://x')
      const [bucket = '', ...rest] = url.pathname.slice(1).split('/')
      const key = rest.join('/')
      const xml = (body: string): void => { res.writeHead(200, { 'content-type': 'application/xml' }).end(body) }
      if (req.method === 'POST' && url.searchParams.has('uploads')) return xml(`<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>u${++uploads}</UploadId></InitiateMultipartUploadResult>`)
      if (req.method === 'POST' && url.searchParams.has('uploadId')) {
        stats.objects++
        // S3's form for a multipart object (as AWS, MinIO and Ceph answer): the sink then stops hashing bodies whole, as it would there.
        const id = url.searchParams.get('uploadId') ?? ''
        const etag = `"${'0'.repeat(32)}-${parts.get(id) ?? 1}"`
        parts.delete(id)
        return xml(`<CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><ETag>${etag}</ETag></CompleteMultipartUploadResult>`)
      }
      if (req.method === 'PUT' && !url.searchParams.has('partNumber')) stats.objects++
      if (req.method === 'PUT' && url.searchParams.has('partNumber')) {
        const id = url.searchParams.get('uploadId') ?? ''
        parts.set(id, (parts.get(id) ?? 0) + 1)
      }
      res.writeHead(req.method === 'DELETE' ? 204 : 200, { etag: '"discarded"' }).end()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo
  return {
    endpoint: `http://127.0.0.1:${port}`,
    stats,
    close: async () => { await new Promise<void>((resolve) => { server.close(() => { resolve() }) }) }
  }
}
