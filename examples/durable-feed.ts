/**
 * Behind a durable log: every record carries its acknowledgement (onDurable)
 * and its offset (sourcePosition); a checkpoint commits an offset only once
 * every record up to it is in S3, whatever order the uploads finish in; and
 * stable keys make a replay from an older checkpoint rewrite the same objects
 * instead of adding copies.
 * Run: npx tsx examples/durable-feed.ts
 */
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { createCheckpoint, gzip, type Checkpoint, keyRotate, minuteWindow, onDurable, s3Writable, sourcePosition } from '../lib/index.js'
import { localS3 } from './local-s3.js'

const s3 = await localS3()
// Two partitions of a log, 500 records each: what a Kafka consumer would hand over.
const log = new Map([0, 1].map((p) => [p, Array.from({ length: 500 }, (_, offset) => ({ partition: p, offset, order: `o-${p}-${offset}` }))]))
// The offsets to commit back to the log (a consumer would call commitOffsets here).
const checkpoint = createCheckpoint<number>({ onCommit: (partition, offset) => { committed.set(partition, offset) } })
const committed = new Map<string, number>()

/** One partition from `from` on, through its own chain: batches hold one partition's offsets, in order. */
async function deliver (partition: number, from: number, tracker: Checkpoint<number>): Promise<string[]> {
  const keys: string[] = []
  const records = log.get(partition)!.slice(from).map((record) => ({
    ...record,
    [sourcePosition]: `orders+${partition}+${record.offset}`,
    [onDurable]: tracker.track(`orders-${partition}`, record.offset)
  }))
  const sink = s3Writable({ ...s3.cfg, prefix: 'orders/' })
  sink.on('object', ({ key }: { key: string }) => keys.push(key))
  await pipeline(Readable.from(records), minuteWindow({ maxRecords: 100, closeOnTime: false, windowMs: 86_400_000 }), gzip(),
    keyRotate({ prefix: `orders/partition=${partition}/`, stableKeys: true }), sink)
  return keys
}

const first = (await Promise.all([0, 1].map(async (p) => await deliver(p, 0, checkpoint)))).flat()
console.log(`delivered ${first.length} objects; committed ${[...committed].map(([p, offset]) => `${p}@${offset}`).join(', ')}`)
// As if the process had died before its last commits reached the log: a new process replays partition 0 from offset 200.
const replay = await deliver(0, 200, createCheckpoint<number>())
const stored = await s3.list('orders/')
console.log(`replay from offset 200 rewrote ${replay.length} objects; the bucket still holds ${stored.length} (${replay.every((k) => first.includes(k)) ? 'same keys' : 'new keys!'})`)
await s3.close()
