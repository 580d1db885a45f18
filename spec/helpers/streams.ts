import { once } from 'node:events'
import { Readable, Writable, type Duplex } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Batch } from '../../lib/batch.js'

/** Everything a readable emits, once it ends. */
export async function collect<T = unknown> (stream: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = []
  for await (const item of stream) out.push(item)
  return out
}

/** All bytes of a stream as one Buffer. */
export async function bytesOf (stream: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = []
  for await (const chunk of stream) chunks.push(Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk))
  return Buffer.concat(chunks)
}

/** An object-mode source of `items`. */
export function source<T> (items: Iterable<T> | AsyncIterable<T>): Readable {
  return Readable.from(items, { objectMode: true })
}

/** A sink that takes `delayMs` per chunk (real time: keep it small) and records what it got. */
export function slowSink<T = unknown> (delayMs: number, options: { objectMode?: boolean, highWaterMark?: number } = {}): Writable & { received: T[] } {
  const received: T[] = []
  const sink = new Writable({
    objectMode: options.objectMode ?? true,
    highWaterMark: options.highWaterMark ?? 1,
    write (chunk: T, _encoding, cb) {
      received.push(chunk)
      setTimeout(cb, delayMs)
    }
  })
  return Object.assign(sink, { received })
}

/** Reads every batch body to the end: batches with their decoded text. */
export async function drainBatches (batches: AsyncIterable<Batch>): Promise<Array<{ batch: Batch, text: string }>> {
  const out: Array<Promise<{ batch: Batch, text: string }>> = []
  for await (const batch of batches) {
    out.push(bytesOf(batch.body).then((body) => ({ batch, text: body.toString('utf8') })))
  }
  return Promise.all(out)
}

/** A Run result as the Intuned sink documents it. */
export function run (i: number, api = `api${i % 3}`, failed = false): Record<string, unknown> {
  return {
    apiInfo: {
      name: api,
      parameters: { page: i },
      runId: `run-${i}`,
      result: failed
        ? { status: 'failed', error: 'Timeout', message: `run ${i} timed out`, statusCode: 504 }
        : { status: 'completed', result: { items: [i, i * 2], title: `item ${i}` }, statusCode: 200 }
    },
    workspaceId: 'ws-1',
    project: { id: 'proj-1', name: 'Demo project' },
    projectJob: { id: 'job-1' },
    projectJobRun: { id: `jobrun-${i}` }
  }
}

/** Counts the lifecycle events of `stream` from now on. */
export function watch (stream: NodeJS.EventEmitter): { errors: Error[], close: number, finish: number, end: number } {
  const seen = { errors: [] as Error[], close: 0, finish: 0, end: 0 }
  stream.on('error', (err: Error) => seen.errors.push(err))
  stream.on('close', () => seen.close++)
  stream.on('finish', () => seen.finish++)
  stream.on('end', () => seen.end++)
  return seen
}

/**
 * Resolves once 'close' was emitted (events.once would reject on the 'error'
 * before it; `closed` turns true a tick before the event).
 */
export async function closed (stream: NodeJS.EventEmitter & { closed?: boolean }): Promise<void> {
  if (stream.closed !== true) await new Promise((resolve) => stream.once('close', resolve))
  else await new Promise(setImmediate)
}

/**
 * The backpressure check of every batch-to-batch stage: with nobody reading,
 * `stage` takes at most one batch ahead; then a slow consumer gets every
 * batch in order while write() keeps saying "wait". Returns what it got.
 */
export async function backpressureThrough (stage: Duplex, input: Batch[]): Promise<{ received: Batch[], refused: number, ahead: number }> {
  let next = 0
  while (stage.write(input[next++]));
  const ahead = next
  const sink = slowSink<Batch>(2)
  const done = pipeline(stage, sink)
  let refused = 1
  await once(stage, 'drain')
  for (; next < input.length; next++) {
    if (!stage.write(input[next])) { refused++; await once(stage, 'drain') }
  }
  stage.end()
  await done
  return { received: sink.received, refused, ahead }
}

/** A batch made by hand, as minuteWindow() makes one whose first record came at 14:03:07.250 UTC, 2026-11-25. */
export function handBatch (body: Readable, fields: Partial<Batch> = {}): Batch {
  const windowStart = Date.UTC(2026, 10, 25, 14, 3, 0)
  return {
    kind: 'batch',
    body,
    windowStart,
    windowEnd: windowStart + 60_000,
    openedAt: windowStart + 7_250,
    seq: 0,
    contentType: 'application/x-ndjson',
    stats: { records: 0, bytes: 0 },
    ...fields
  }
}
