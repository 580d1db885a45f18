/**
 * The send() destination: payloads queued per (bucket, prefix), one gzip
 * NDJSON object per minute and pair; close() delivers the open batches.
 * Run: npx tsx examples/destination.ts
 */
import { gunzipSync } from 'node:zlib'
import { createS3Destination } from '../lib/index.js'
import { localS3 } from './local-s3.js'

const s3 = await localS3()
const { bucket, ...connection } = s3.cfg
const destination = createS3Destination({ bucket, ...connection })
destination.on('error', (err) => { console.error(err.code, err.message) })

for (let i = 0; i < 1000; i++) {
  const prefix = i % 2 === 0 ? 'even/' : 'odd/'
  // Like $send.s3(): returns at once; false asks the caller to wait.
  if (!destination.send({ prefix, payload: { i, at: new Date().toISOString() } })) await destination.ready()
}
await destination.close()
console.log(destination.stats)
for (const key of await s3.list()) {
  const lines = gunzipSync(await s3.get(key)).toString().split('\n').filter(Boolean)
  console.log(`${key}: ${lines.length} payloads`)
}
await s3.close()
