/**
 * A manifest of what a run wrote, from s3Writable()'s 'object' events, and a
 * key function of your own.
 * Run: npx tsx examples/manifest.ts
 */
import { randomUUID } from 'node:crypto'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { PutObjectCommand } from '@aws-sdk/client-s3'
import { filterApis, gzip, keyRotate, minuteWindow, s3Writable, type ObjectWritten } from '../lib/index.js'
import { localS3, runs } from './local-s3.js'

const s3 = await localS3()
const manifest: ObjectWritten[] = []
const sink = s3Writable({ ...s3.cfg }).on('object', (o: ObjectWritten) => manifest.push(o))
// seq restarts at 0 in every process: the random part keeps a second run (or worker) from replacing these objects.
const key = keyRotate({ key: (batch, prefix) => `${prefix}window=${new Date(batch.windowStart).toISOString()}/part-${batch.seq}-${randomUUID()}.ndjson.gz`, prefix: 'by-window' })

await pipeline(Readable.from(runs(3000)), filterApis(), minuteWindow({ maxRecords: 1000 }), gzip(), key, sink)

manifest.sort((a, b) => a.seq - b.seq)
await s3.client.send(new PutObjectCommand({ Bucket: s3.cfg.bucket, Key: 'by-window/_manifest.json', Body: JSON.stringify(manifest), ContentType: 'application/json' }))
console.log(await s3.list('by-window/'))
await s3.close()
