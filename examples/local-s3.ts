/**
 * Where the examples deliver: the S3-compatible endpoint in S3_ENDPOINT (with
 * AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / S3_BUCKET), or else an embedded
 * s3rver on 127.0.0.1 with a temp directory, so every example runs offline.
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command, S3Client } from '@aws-sdk/client-s3'

export interface ExampleS3 {
  cfg: { bucket: string, endpoint: string, region: string, accessKeyId: string, secretAccessKey: string, forcePathStyle: true }
  client: S3Client
  list (prefix?: string): Promise<string[]>
  get (key: string): Promise<Buffer>
  close (): Promise<void>
}

export async function localS3 (bucket = process.env.S3_BUCKET ?? 'example-bucket'): Promise<ExampleS3> {
  let endpoint = process.env.S3_ENDPOINT
  let stop = async (): Promise<void> => {}
  const accessKeyId = process.env.AWS_ACCESS_KEY_ID ?? 'S3RVER'
  const secretAccessKey = process.env.AWS_SECRET_ACCESS_KEY ?? 'S3RVER'
  if (endpoint === undefined) {
    // @ts-expect-error s3rver ships no types
    const { default: S3rver } = await import('s3rver')
    const directory = await mkdtemp(join(tmpdir(), 'example-s3-'))
    const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true })
    const { port } = await server.run() as AddressInfo
    endpoint = `http://127.0.0.1:${port}`
    stop = async () => { await server.close(); await rm(directory, { recursive: true, force: true }) }
  }
  const cfg = { bucket, endpoint, region: process.env.AWS_REGION ?? 'us-east-1', accessKeyId, secretAccessKey, forcePathStyle: true as const }
  const client = new S3Client({ endpoint, region: cfg.region, forcePathStyle: true, credentials: { accessKeyId, secretAccessKey } })
  await client.send(new CreateBucketCommand({ Bucket: bucket })).catch(() => {})
  return {
    cfg,
    client,
    async list (prefix) {
      const page = await client.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: prefix }))
      return (page.Contents ?? []).map((o) => o.Key ?? '').sort()
    },
    async get (key) {
      const res = await client.send(new GetObjectCommand({ Bucket: bucket, Key: key }))
      return Buffer.from(await res.Body!.transformToByteArray())
    },
    async close () { client.destroy(); await stop() }
  }
}

/** A small feed of Intuned-style Run results: three APIs, one in seven failed. */
export function * runs (n: number): Generator<Record<string, unknown>> {
  for (let i = 0; i < n; i++) {
    const failed = i % 7 === 0
    yield {
      apiInfo: {
        name: ['search', 'detail', 'reviews'][i % 3],
        runId: `run-${i}`,
        parameters: { page: i },
        result: failed
          ? { status: 'failed', error: 'TimeoutError', message: 'page did not load', statusCode: 504 }
          : { status: 'completed', result: { title: `item ${i}`, price: (i * 7) % 100 }, statusCode: 200 }
      },
      workspaceId: 'ws-demo',
      project: { id: 'proj-1', name: 'Example' }
    }
  }
}
