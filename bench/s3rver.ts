import { fork } from 'node:child_process'
import { once } from 'node:events'
import { fileURLToPath } from 'node:url'
import { CreateBucketCommand, S3Client } from '@aws-sdk/client-s3'

/** A loopback s3rver in a child process. */
export interface BenchS3rver {
  endpoint: string
  /** The child's process id (the scale bench reads its CPU time). */
  pid: number | undefined
  /** s3rver does not check signatures; these satisfy the SDK. */
  accessKeyId: string
  secretAccessKey: string
  /** Sink config fields pointing at it. */
  config: { endpoint: string, region: string, accessKeyId: string, secretAccessKey: string, forcePathStyle: true }
  /** A fresh client on it (the caller destroys it). */
  client (): S3Client
  createBucket (name: string): Promise<void>
  close (): Promise<void>
}

/**
 * Starts s3rver on 127.0.0.1 in a child process with a temp directory, which
 * is removed on close.
 *
 * @example
 * ```ts
 * const server = await startBenchS3rver()
 * await server.createBucket('bench-ours')
 * await server.close()
 * ```
 */
export async function startBenchS3rver (): Promise<BenchS3rver> {
  const child = fork(fileURLToPath(new URL('./s3rver-child.ts', import.meta.url)), {
    execArgv: ['--import', 'tsx'],
    stdio: ['ignore', 'ignore', 'inherit', 'ipc']
  })
  const [message] = await once(child, 'message') as [{ port: number }]
  const endpoint = `http://127.0.0.1:${message.port}`
  const config = { endpoint, region: 'us-east-1', accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER', forcePathStyle: true as const }
  const client = (): S3Client => new S3Client({
    endpoint,
    region: config.region,
    forcePathStyle: true,
    credentials: { accessKeyId: config.accessKeyId, secretAccessKey: config.secretAccessKey }
  })
  return {
    endpoint,
    pid: child.pid,
    accessKeyId: config.accessKeyId,
    secretAccessKey: config.secretAccessKey,
    config,
    client,
    async createBucket (name) {
      const c = client()
      try {
        await c.send(new CreateBucketCommand({ Bucket: name }))
      } finally {
        c.destroy()
      }
    },
    async close () {
      const exited = once(child, 'exit')
      child.disconnect()
      await exited
    }
  }
}
