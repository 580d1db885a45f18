/**
 * The canonical pipeline: Run results → filter → minute windows → gzip → S3.
 * Run: npx tsx examples/batched-pipeline.ts
 */
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gunzipSync } from 'node:zlib'
import { filterApis, gzip, keyRotate, minuteWindow, s3Writable, type ObjectWritten } from '../lib/index.js'
import { localS3, runs } from './local-s3.js'

const s3 = await localS3()
const sinkConfig = { type: 's3' as const, ...s3.cfg, prefix: 'runs/', apisToSend: ['search', 'detail'], skipOnFail: true }

const filter = filterApis(sinkConfig)
let dropped = 0
filter.on('drop', () => { dropped++ })
const { apisToSend, skipOnFail, ...uploadConfig } = sinkConfig // filtering is filterApis()'s job
const sink = s3Writable(uploadConfig)
sink.on('object', (o: ObjectWritten) => { console.log(`wrote ${o.key} (${o.records} records, ${o.bytes} bytes)`) })

await pipeline(Readable.from(runs(10_000)), filter, minuteWindow({ maxRecords: 2500 }), gzip(), keyRotate({ prefix: 'runs/' }), sink)

const keys = await s3.list('runs/')
const first = gunzipSync(await s3.get(keys[0]!)).toString().split('\n')[0]
console.log(`${keys.length} objects, ${dropped} records filtered out (apisToSend ${apisToSend.join(',')}, skipOnFail ${skipOnFail})`)
console.log(`first record of ${keys[0]}: ${first}`)
await s3.close()
