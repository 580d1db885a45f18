// Names the README's examples take as given: the reader's own feed, config
// and credentials. Everything else an example uses it must import itself
// (or be marked `<!-- ts: fragment -->`).
import type { Readable } from 'node:stream'
import type { S3SinkConfig } from 's3-stream-sink'

declare global {
  /** An object-mode stream of Run results (or any records). */
  const source: Readable
  const runResults: Readable
  const events: AsyncIterable<{ body: unknown }>
  const accessKeyId: string
  const secretAccessKey: string
  /** A Cloudflare account id. */
  const accountId: string
  const cfg: S3SinkConfig
  const config: S3SinkConfig
  const sinkConfig: S3SinkConfig
  const dropped: Record<'api' | 'failed', number>
  /** A message broker's subscription, consumer and current message (the durable-delivery examples). */
  const subscription: AsyncIterable<{ data: string, ack: () => void }>
  const consumer: { commitOffsets: (offsets: Array<{ topic: string, partition: number, offset: string }>) => unknown }
  const message: { partition: number, offset: string, ack: () => void }
  const topic: string
  const partition: number
  const offset: number
  /** A record of the feed being written. */
  const record: Record<PropertyKey, unknown>
}
