import { Transform, type Readable, type TransformCallback } from 'node:stream'
import type { LogSourceStats } from '../sources/source-options.js'
import { decodeJsonObject, type SourceOnInvalid } from '../sources/payload.js'
import type { LogSourceCli } from './log-source-args.js'
import type { InputRecord } from './ndjson-lines.js'
import type { Progress } from './progress.js'

/** The input of a `--source` run: the log's records as {@link InputRecord}s, counted into the progress. */
export interface LogInput {
  /** The source and a counter, for `pipeline([...log.streams, ...delivery.streams])`. */
  streams: [Readable, Transform]
  /** Sends the last acknowledgements and closes the connections. */
  close (): Promise<void>
}

/**
 * Opens the log source `--source` names, stopping when `stop` is aborted.
 * An entry that is not a JSON object follows `onInvalid` (`--on-invalid`):
 * `'error'` fails the run and leaves it unacknowledged, `'skip'` acknowledges
 * it at once and counts it, `'dead-letter'` hands the window a stand-in that
 * it stores as a dead letter, acknowledged once that object is stored.
 * Each entry's payload becomes an {@link InputRecord} whose `text` is the
 * payload as stored (delivered byte for byte, like a file's line), `file`
 * names the stream and `line` counts the records read; the source puts
 * `onDurable` and `sourcePosition` (the entry's id) on it. Loaded only for
 * `--source`, so file runs never load a log client.
 *
 * @example
 * ```ts
 * const log = await openLogInput(options.logSource, control.reading, progress)
 * try { await pipeline([...log.streams, ...delivery.streams]) } finally { await log.close() }
 * ```
 */
export async function openLogInput (cli: LogSourceCli, stop: AbortSignal, progress: Progress, onInvalid: SourceOnInvalid = 'error'): Promise<LogInput> {
  let line = 0
  const file = `${cli.kind}:${cli.stream}`
  const decode = (text: string): object => ({ value: decodeJsonObject(text), text, file, line: ++line } satisfies InputRecord)
  let source: Readable & { stats: LogSourceStats, close: () => Promise<void> }
  if (cli.kind === 'redis') {
    const { redisStreamSource } = await import('../sources/redis-stream-source.js')
    source = redisStreamSource({ ...cli.options, url: cli.url(), stream: cli.stream, group: cli.group, consumer: cli.consumer, claimIdleMs: cli.claimIdleMs, decode, onInvalid, signal: stop })
  } else {
    const { natsJetStreamSource } = await import('../sources/nats-jetstream-source.js')
    source = natsJetStreamSource({ ...cli.options, url: cli.url(), stream: cli.stream, durable: cli.durable, ackWaitMs: cli.ackWaitMs, decode, onInvalid, signal: stop })
  }
  // A skipped entry never leaves the source; a dead-lettered one is counted by the window that stores it.
  if (onInvalid === 'skip') source.on('invalid', () => { progress.invalid++ })
  // Live: acknowledgements go on after reading has stopped, while the last objects complete.
  Object.defineProperty(progress, 'recordsAcknowledged', { get: () => source.stats.acknowledged, enumerable: true, configurable: true })
  const counter = new Transform({
    objectMode: true,
    transform (record: InputRecord, _encoding: BufferEncoding, cb: TransformCallback) {
      progress.recordsRead++
      cb(null, record)
    }
  })
  return {
    streams: [source, counter],
    async close () { await source.close() }
  }
}
