/**
 * `npm run demo`: both sinks against an embedded S3 server, no network and no
 * AWS account needed.
 *
 * 1. starts s3rver on 127.0.0.1 with a temp directory and creates a bucket;
 * 2. streams generated Run results (three APIs, some failed) through the
 *    per-Run sink, `createS3Sink(config)`: one `.json` object per Run (1,000 Runs);
 * 3. streams 5,000 of them through the batched pipeline
 *    `filterApis → minuteWindow → gzip → keyRotate → s3Writable`: gzipped NDJSON;
 * 4. lists what landed and prints one object of each kind, decoded.
 *
 * @example
 * ```sh
 * npm run demo
 * ```
 *
 * @packageDocumentation
 */
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import { CreateBucketCommand, GetObjectCommand, ListObjectsCommand, S3Client } from '@aws-sdk/client-s3'
// s3rver ships no types; the demo uses three of its calls.
// @ts-expect-error no declaration file
import S3rver from 's3rver'
import { filterApis, gzip, keyRotate, minuteWindow, s3Writable, type ObjectWritten } from '../lib/index.js'
import { createS3Sink } from '../lib/sinks/create-s3-sink.js'

const RUNS = 5000
/** One PUT per Run into an in-process server is the slow part; a slice keeps the demo quick. */
const PER_RUN = 1000
const APIS = ['search', 'detail', 'reviews']
const BUCKET = 'demo-runs'

/** A Run result as the Intuned sink documents it; every 10th one failed. */
function runResult (i: number): Record<string, unknown> {
  const failed = i % 10 === 7
  return {
    apiInfo: {
      name: APIS[i % APIS.length],
      parameters: { page: i },
      runId: `run-${String(i).padStart(5, '0')}`,
      result: failed
        ? { status: 'failed', error: 'Timeout', message: `run ${i} timed out`, statusCode: 504 }
        : { status: 'completed', result: { title: `item ${i}`, price: (i % 97) + 0.99 }, statusCode: 200 }
    },
    workspaceId: 'ws-demo',
    project: { id: 'proj-1', name: 'Demo project' },
    projectJob: { id: 'job-1' },
    projectJobRun: { id: 'jobrun-1' }
  }
}

function feed (count: number): Readable {
  return Readable.from((function * () { for (let i = 0; i < count; i++) yield runResult(i) })())
}

const started = Date.now()
const directory = await mkdtemp(join(tmpdir(), 's3-sink-demo-'))
const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true })
const { port } = await server.run() as AddressInfo
// s3rver does not check signatures; these are its documented credentials.
const connection = {
  endpoint: `http://127.0.0.1:${port}`,
  region: 'us-east-1',
  accessKeyId: 'S3RVER',
  secretAccessKey: 'S3RVER',
  forcePathStyle: true
}
const client = new S3Client({ ...connection, credentials: { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' } })

try {
  await client.send(new CreateBucketCommand({ Bucket: BUCKET }))
  console.log(`s3rver on ${connection.endpoint}, bucket ${BUCKET}\n`)

  // Per Run: the sink config of a Run or Job, as is.
  const perRun = createS3Sink({ type: 's3', bucket: BUCKET, ...connection, prefix: 'per-run/', apisToSend: ['search', 'detail'], skipOnFail: true })
  let perRunObjects = 0
  perRun.on('object', () => { perRunObjects++ })
  await pipeline(feed(PER_RUN), perRun)
  console.log(`per-Run sink:  ${PER_RUN} Runs in, ${perRunObjects} objects (only search and detail, failed Runs skipped)`)

  // Batched: one gzipped NDJSON object per minute, here also cut every 2,000 records.
  const batched = s3Writable({ bucket: BUCKET, ...connection })
  let batches = 0
  let records = 0
  batched.on('object', (written: ObjectWritten) => { batches++; records += written.records })
  await pipeline(feed(RUNS), filterApis({ skipOnFail: true }), minuteWindow({ maxRecords: 2000 }), gzip(), keyRotate({ prefix: 'batched/' }), batched)
  console.log(`batched sink:  ${RUNS} Runs in, ${records} records (failed Runs skipped) in ${batches} gzipped NDJSON objects\n`)

  const keys = await listKeys()
  console.log(`${keys.length} keys landed:`)
  const counts = new Map<string, number>()
  for (const key of keys) {
    const group = key.startsWith('per-run/') ? key.split('/').slice(0, 2).join('/') + '/' : 'batched/'
    counts.set(group, (counts.get(group) ?? 0) + 1)
  }
  for (const [group, count] of counts) console.log(`  ${group.padEnd(18)} ${count}`)
  console.log('first keys:')
  for (const key of [...keys.filter((k) => k.startsWith('per-run/')).slice(0, 3), ...keys.filter((k) => k.startsWith('batched/')).slice(0, 3)]) {
    console.log(`  ${key}`)
  }

  const runKey = keys.find((k) => k.startsWith('per-run/'))
  const batchKey = keys.find((k) => k.startsWith('batched/'))
  if (runKey === undefined || batchKey === undefined) throw new Error('expected objects of both kinds')
  console.log(`\n${runKey}:`)
  console.log(JSON.stringify(JSON.parse((await getObject(runKey)).toString('utf8')), null, 2))
  const lines = gunzipSync(await getObject(batchKey)).toString('utf8').split('\n').filter((l) => l !== '')
  console.log(`\n${batchKey} (gunzipped: ${lines.length} NDJSON lines, first 3):`)
  for (const line of lines.slice(0, 3)) console.log(`  ${line}`)
  console.log(`\ndone in ${((Date.now() - started) / 1000).toFixed(1)} s`)
} finally {
  client.destroy()
  await server.close()
  await rm(directory, { recursive: true, force: true })
}

async function listKeys (): Promise<string[]> {
  const keys: string[] = []
  // ListObjects v1 with Marker: s3rver's v2 continuation tokens use DES, which
  // Node 17+ (OpenSSL 3) lacks, so a v2 listing above 1,000 keys fails.
  for (;;) {
    const page = await client.send(new ListObjectsCommand({ Bucket: BUCKET, Marker: keys.at(-1) }))
    for (const item of page.Contents ?? []) if (item.Key !== undefined) keys.push(item.Key)
    if (page.IsTruncated !== true) return keys
  }
}

async function getObject (key: string): Promise<Buffer> {
  const res = await client.send(new GetObjectCommand({ Bucket: BUCKET, Key: key }))
  return Buffer.from(await res.Body!.transformToByteArray())
}
