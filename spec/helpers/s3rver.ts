import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { Server } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { gunzipSync } from 'node:zlib'
import { createHash } from 'node:crypto'
import { GetObjectCommand, ListObjectsCommand, S3Client, CreateBucketCommand } from '@aws-sdk/client-s3'
// s3rver ships no types; its surface used here is tiny.
// @ts-expect-error no declaration file
import S3rver from 's3rver'
import { unzstdSync } from './zstd.js'
import { answerPutsOnceWritten } from './s3rver-durable-put.js'

type Middleware = (ctx: { get (header: string): string, req: { socket: Socket } }, next: () => Promise<void>) => Promise<void>

/** A real S3-compatible server on 127.0.0.1 with its data in a temp directory. */
export interface LocalS3 {
  endpoint: string
  /** Sink config pointing at it (s3rver accepts any secret: signatures are not checked). */
  config: { endpoint: string, region: string, accessKeyId: string, secretAccessKey: string, forcePathStyle: true }
  client: S3Client
  createBucket (name: string): Promise<void>
  listKeys (bucket: string, prefix?: string): Promise<string[]>
  getObject (bucket: string, key: string): Promise<{ body: Buffer, contentType?: string, contentEncoding?: string }>
  /** Every object under `prefix`, decoded when named `.gz` or `.zst`, as NDJSON lines parsed, in key order. */
  readRecords (bucket: string, prefix?: string): Promise<unknown[]>
  /**
   * Resolves once s3rver handles no request and holds no connection but this
   * helper's own: after a client process is killed, every request it had sent
   * whole has then landed (or been cut short), so what S3 shows is final.
   */
  quiet (): Promise<void>
  close (): Promise<void>
}

/** Marks the requests of this helper's own client, whose idle keep-alive connections `quiet()` ignores. */
const OWN_AGENT = 's3rver-helper'

export async function startS3rver (): Promise<LocalS3> {
  const directory = await mkdtemp(join(tmpdir(), 's3rver-'))
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true })
  answerPutsOnceWritten((server as { store: Parameters<typeof answerPutsOnceWritten>[0] }).store)
  // Ahead of s3rver's own middleware (Koa composes them when the server starts): counts the requests being handled.
  const handling = new Set<Socket>()
  const own = new WeakSet<Socket>()
  ;(server as { middleware: Middleware[] }).middleware.unshift(async (ctx, next) => {
    const socket = ctx.req.socket
    if (ctx.get('user-agent').includes(OWN_AGENT)) own.add(socket)
    handling.add(socket)
    try { await next() } finally { handling.delete(socket) }
  })
  const { port } = await server.run() as AddressInfo
  const sockets = new Set<Socket>()
  ;(server as { httpServer: Server }).httpServer.on('connection', (socket: Socket) => {
    sockets.add(socket)
    socket.once('close', () => sockets.delete(socket))
  })
  const endpoint = `http://127.0.0.1:${port}`
  const config = { endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true as const }
  const client = new S3Client({ ...config, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' }, customUserAgent: OWN_AGENT })

  async function listKeys (bucket: string, prefix?: string): Promise<string[]> {
    // ListObjects v1 with a Marker: s3rver's v2 continuation tokens use DES,
    // which Node 17+ (OpenSSL 3) refuses, so v2 fails past 1,000 keys.
    const keys: string[] = []
    let marker: string | undefined
    for (;;) {
      const page = await client.send(new ListObjectsCommand({ Bucket: bucket, Prefix: prefix, Marker: marker }))
      for (const item of page.Contents ?? []) if (item.Key !== undefined) keys.push(item.Key)
      if (page.IsTruncated !== true || keys.length === 0) break
      marker = keys[keys.length - 1]
    }
    return keys.sort()
  }

  async function getObject (bucket: string, key: string): Promise<{ body: Buffer, contentType?: string, contentEncoding?: string }> {
    const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
    const body = Buffer.from(await res.Body!.transformToByteArray())
    return { body, contentType: res.ContentType, contentEncoding: res.ContentEncoding }
  }

  return {
    endpoint,
    config,
    client,
    async createBucket (name) { await client.send(new CreateBucketCommand({ Bucket: name })) },
    listKeys,
    getObject,
    async readRecords (bucket, prefix) {
      const records: unknown[] = []
      for (const key of await listKeys(bucket, prefix)) {
        const { body } = await getObject(bucket, key)
        const text = (key.endsWith('.gz') ? gunzipSync(body) : key.endsWith('.zst') ? unzstdSync(body) : body).toString('utf8')
        for (const line of text.split('\n')) if (line !== '') records.push(JSON.parse(line))
      }
      return records
    },
    async quiet () {
      // A killed client's request can stay "being handled" for good (s3rver may never see its body end), so once
      // every client connection is gone such a request gets a short grace to finish its write, then is not waited for.
      const deadline = Date.now() + 30_000
      let orphansSince: number | undefined
      for (;;) {
        const open = [...sockets].some((socket) => !own.has(socket))
        const live = [...handling].some((socket) => !socket.destroyed)
        if (!open && !live) {
          if (handling.size === 0) return
          orphansSince ??= Date.now()
          if (Date.now() - orphansSince > 2_000) return
        }
        if (Date.now() > deadline) throw new Error(`s3rver still busy after 30 s: ${handling.size} request(s) being handled, ${sockets.size} connection(s)`)
        await new Promise((resolve) => setTimeout(resolve, 5))
      }
    },
    async close () {
      client.destroy()
      await server.close()
      await rm(directory, { recursive: true, force: true })
    }
  }
}

export function sha256 (data: Buffer): string {
  return createHash('sha256').update(data).digest('hex')
}
