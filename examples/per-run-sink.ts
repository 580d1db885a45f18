/**
 * The per-Run sink from an Intuned-style config: one JSON object per Run,
 * keyed by API name and runId. Writing the same Runs twice leaves one object
 * each. Run: npx tsx examples/per-run-sink.ts
 */
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createS3Sink } from '../lib/index.js'
import { localS3, runs } from './local-s3.js'

const s3 = await localS3()
const { bucket, ...connection } = s3.cfg
const config = { type: 's3' as const, bucketName: bucket, ...connection, prefix: 'my-prefix/', skipOnFail: true, apisToSend: ['search'] }

for (let delivery = 1; delivery <= 2; delivery++) {
  const sink = createS3Sink(config)
  let stored = 0
  sink.on('object', () => { stored++ })
  await pipeline(Readable.from(runs(300)), sink)
  console.log(`delivery ${delivery}: ${stored} objects written`)
}
const keys = await s3.list('my-prefix/')
console.log(`${keys.length} objects in the bucket (redelivery replaced them), e.g. ${keys[0]}`)
console.log(JSON.parse((await s3.get(keys[0]!)).toString()).apiInfo.runId)
await s3.close()
