import { Transform, type TransformCallback, type Writable } from 'node:stream'
import type { S3Client } from '@aws-sdk/client-s3'
import type { Clock } from '../clock.js'
import { sourcePosition } from '../source-position.js'
import { runApiName, runIsFailed } from '../internal/api-filter.js'
import { InvalidPayload } from '../sources/payload.js'
import { createUploadClient } from '../internal/s3-client.js'
import { filterApis } from '../stages/filter-apis.js'
import { compress } from '../stages/compress.js'
import { keyRotate } from '../stages/key-rotate.js'
import { minuteWindow } from '../stages/minute-window.js'
import { timeField } from '../internal/event-time.js'
import { readPath } from '../internal/key-segment.js'
import { cliTemplate } from './cli-template.js'
import { s3Writable } from '../sinks/s3-writable.js'
import type { CliOptions } from './args.js'
import { asFlags } from './flag-errors.js'
import type { InputRecord } from './ndjson-lines.js'
import { outDirWritable } from './out-dir.js'
import { perRecordDelivery } from './per-record.js'
import { routedDelivery } from './routed-delivery.js'
import type { Progress } from './progress.js'
import type { ObjectAbandoned } from '../sinks/object-abandoned.js'

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
  progress.invalidAction = options.onInvalid === 'dead-letter' ? 'dead-lettered' : 'skipped'
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
    sink.on('abandoned', (abandoned: ObjectAbandoned) => { progress.inFlight.add(abandoned) })
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

/** `minuteWindow → compress → keyRotate` (after file positions with --stable-keys) for the batch flags. */
export function batchStages (options: CliOptions, clock: Clock, progress: Progress): Transform[] {
  const template = cliTemplate(options)
  const fields = template?.fields ?? []
  const readTime = options.timeField === undefined ? undefined : asFlags(() => timeField(options.timeField as string, '--time-field'))
  const window = asFlags(() => minuteWindow({
    clock,
    windowMs: options.windowMs,
    maxBytes: options.maxBytes,
    maxRecords: options.maxRecords,
    closeOnTime: options.closeOnTime,
    onInvalid: options.onInvalid,
    // A line that is not a JSON object becomes the window's invalid record, under --on-invalid.
    stringify: (r) => {
      const { invalid, text } = r as InputRecord
      if (invalid !== undefined) throw invalid
      return text
    },
    maxOpenPartitions: options.maxOpenPartitions,
    // Fields and times are read from the parsed line; the line itself is stored as read.
    ...(fields.length === 0 ? {} : { partitionBy: (r: unknown) => Object.fromEntries(fields.map((f) => [f, readPath((r as InputRecord).value, f.split('.'))])) }),
    ...(readTime === undefined ? {} : { timeOf: (r: unknown) => readTime((r as InputRecord).value) }),
    ...(options.allowedLatenessMs === undefined ? {} : { allowedLatenessMs: options.allowedLatenessMs })
  }), { 'options.timeOf': '--time-field' })
  window.on('invalid', () => { progress.invalid++ })
  window.on('late', () => { progress.late++ })
  const { compression, level, threads } = options
  const encoder = asFlags(() => compress({ compression, level, threads }), {
    'options.compression': '--compression',
    'options.level': '--compression-level',
    'options.threads': '--gzip-threads'
  })
  const name = asFlags(() => keyRotate({ prefix: options.prefix, stableKeys: options.stableKeys, ...(template === undefined ? {} : { keyTemplate: template }) }))
  return [...(options.stableKeys ? [filePositions()] : []), window, encoder, name]
}

/** Gives records read from files the position `FILE:LINE`, unless their source gave one. */
function filePositions (): Transform {
  return new Transform({
    objectMode: true,
    transform (record: InputRecord & { [sourcePosition]?: unknown }, _encoding: BufferEncoding, cb: TransformCallback) {
      record[sourcePosition] ??= `${record.file}:${record.line}`
      cb(null, record)
    }
  })
}

/** `s3Writable()`, or the files under --out-dir. */
export function batchSink (options: CliOptions, client: S3Client | undefined, clock: Clock): Writable {
  if (options.outDir !== undefined) {
    const dir = options.outDir
    return asFlags(() => outDirWritable({ dir, concurrency: options.concurrency }))
  }
  return asFlags(() => s3Writable({
    bucket: options.bucket,
    client,
    partSize: options.partSize,
    queueSize: options.queueSize,
    concurrency: options.concurrency,
    abortTimeout: options.abortTimeout,
    encodingHeader: options.encodingHeader,
    retryFor: options.retryFor,
    ifNoneMatch: options.ifNoneMatch,
    params: options.params,
    clock,
    prefix: options.prefix,
    ...(options.manifests ? { manifests: true } : {})
  }))
}
