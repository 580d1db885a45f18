// Names the TSDoc @example blocks take as given, beyond the README's
// (readme-context.d.ts): spec/doc-examples.spec.ts type-checks every example
// against the library's public types with both files in scope. Everything
// else an example uses it defines or imports itself.
import type { PassThrough, Readable, Writable } from 'node:stream'
import type { Batch, Checkpoint, S3Destination } from 's3-stream-sink'

declare global {
  /** A sink of the reader's pipeline (`s3Writable()`, `createS3Sink()`). */
  const sink: Writable
  /** Any stage of the reader's pipeline. */
  const stream: Writable
  /** An object-mode stream of Runs. */
  const runs: Readable
  /** The pipeline's object-mode source that the reader's consumer loop writes. */
  const feed: PassThrough
  /** A batch a stage received. */
  const batch: Batch
  const destination: S3Destination
  /** One event of `events`, and a payload to send. */
  const event: { body: unknown }
  const payload: unknown
  /** The reader's own test for a failed Run. */
  const isFailedRun: (run: unknown) => boolean
  const checkpoint: Checkpoint
  /** A partitioned log's consumer (Kafka-like): its messages and its offset commit. */
  const messages: AsyncIterable<{ partition: number, offset: number, value: string }>
  const commit: (partition: string, offset: number) => void
}
