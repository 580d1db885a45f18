import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { feedStream } from '../feed.js'
import type { RunRecord } from '../records.js'

/**
 * The hand-written loop fed the way the sink is: the feed piped into a bare
 * Writable that keeps 8 PutObjects in flight (no PutJob, pool, signal or
 * retries), so the cost of being a stream shows apart from the sink's own.
 */
export async function streamLoop (pool: readonly RunRecord[], objects: number, client: S3Client, prefix: string, highWaterMark = 2): Promise<void> {
  let i = 0
  let inFlight = 0
  let parked: (() => void) | null = null
  let idle: (() => void) | null = null
  await pipeline(feedStream(pool, objects), new Writable({
    objectMode: true,
    highWaterMark,
    write (record, _e, cb) {
      const Body = Buffer.from(JSON.stringify(record))
      inFlight++
      void client.send(new PutObjectCommand({ Bucket: 'bench', Key: `${prefix}/${i++}.json`, Body, ContentType: 'application/json' })).then(() => {
        inFlight--
        if (parked !== null) { const p = parked; parked = null; p() }
        if (inFlight === 0 && idle !== null) idle()
      })
      if (inFlight < 8) cb()
      else parked = () => { cb() }
    },
    final (cb) { if (inFlight === 0) cb(); else idle = () => { cb() } }
  }))
}
