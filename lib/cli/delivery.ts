import type { Transform, Writable } from 'node:stream'
import type { Clock } from '../clock.js'
import { runApiName, runIsFailed } from '../internal/api-filter.js'
import { InvalidPayload } from '../sources/payload.js'
import { createUploadClient } from '../internal/s3-client.js'
import { filterApis, type DroppedRecord } from '../stages/filter-apis.js'
import type { CliOptions } from './cli-options.js'
import { batchSink } from './batch-sink.js'
import { batchStages } from './batch-stages.js'
import { asFlags } from './flag-errors.js'
import type { InputRecord } from './ndjson-lines.js'
import { perRecordDelivery } from './per-record.js'
import { routedDelivery } from './routed-delivery.js'
import type { Progress } from './progress.js'
import type { ObjectAbandoned } from '../sinks/object-abandoned.js'
import type { FileAbandoned } from './file-jobs.js'

/** The stages after the input, built and checked before any byte is read. */
export interface Delivery {
  /** From the records to the sink, for `pipeline(input, ...streams)`. */
  streams: Array<Transform | Writable>
  /**
   * Resolves once the sink has closed: its uploads completed or were aborted,
   * each counted as delivered or in flight. Destroys the sink if no pipeline
   * did (it never ran). Never rejects.
   */
  settled: () => Promise<void>
  /** Releases the S3 client (its sockets would keep the process alive). */
  close: () => void
}

/** What a written object reports, whichever sink wrote it. */
interface Written { bytes: number, records: number }

/**
 * Builds the delivery the options ask for: batches (filterApis → minuteWindow
 * → compress → keyRotate → s3Writable or the output directory) or one object per
 * Run. Every line is delivered as read: batches carry the input text byte for
 * byte, never re-serialized. Counts into `progress` the objects S3 confirmed, and those given up on an abort or a failure. Throws
 * `InvalidOptionError` naming the flag for an unusable value.
 *
 * @example
 * ```ts
 * const delivery = buildDelivery(parseCliArgs(argv, process.env), progress, systemClock)
 * try { await pipeline(input, ...delivery.streams) } finally { await delivery.settled(); delivery.close() }
 * ```
 */
export function buildDelivery (options: CliOptions, progress: Progress, clock: Clock): Delivery {
  const filter = asFlags(() => filterApis({
    apisToSend: options.apisToSend,
    skipOnFail: options.skipOnFail,
    // The filter sees input records; the Run is their parsed value. An
    // invalid line is not the filter's to drop: it goes on to the stage that
    // applies --on-invalid (it reads as the first API asked for, never failed).
    apiName: (r) => isInvalid(r) ? options.apisToSend?.[0] : runApiName((r as InputRecord).value),
    isFailed: (r) => !isInvalid(r) && runIsFailed((r as InputRecord).value)
  }))
  // Nothing left out silently: the summary counts what the filter drops.
  filter.on('drop', ({ reason }: DroppedRecord) => { progress.filtered[reason]++ })
  progress.invalidAction = options.onInvalid === 'dead-letter' ? 'dead-lettered' : 'skipped'
  progress.lateAction = options.onLate === 'drop' ? 'dropped' : 'under late/'
  const client = options.outDir === undefined ? asFlags(() => createUploadClient(options.connection(), 'options')) : undefined
  try {
    const { stages, sink } = options.routes !== undefined
      ? routedDelivery(options, options.routes, client, clock, progress)
      : options.perRecord
        ? perRecordDelivery(options, client, clock, () => { progress.invalid++ })
        : { stages: batchStages(options, clock, progress), sink: batchSink(options, client, clock) }
    const streams = [filter, ...stages, sink]
    sink.on('object', (written: Written) => {
      progress.objects++
      progress.bytes += written.bytes
      progress.recordsDelivered += written.records
    })
    sink.on('retry', () => { progress.retries++ })
    // S3 objects and --out-dir files alike: what an abort cut off is reported.
    sink.on('abandoned', (abandoned: ObjectAbandoned | FileAbandoned) => { progress.inFlight.add(abandoned) })
    return { streams, settled: async () => { await closed(sink) }, close: () => client?.destroy() }
  } catch (err) {
    client?.destroy()
    throw err
  }
}

async function closed (sink: Writable): Promise<void> {
  if (sink.closed) return
  const close = new Promise((resolve) => sink.once('close', resolve))
  if (!sink.destroyed) sink.destroy()
  await close
}

/** A line that is not a record, or a log entry that is not one (`--source` with `--on-invalid dead-letter`). */
function isInvalid (record: unknown): boolean {
  return (record as InputRecord).invalid !== undefined || record instanceof InvalidPayload
}
