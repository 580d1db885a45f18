import { Transform, type TransformCallback, type Writable } from 'node:stream'
import type { S3Client } from '@aws-sdk/client-s3'
import type { Clock } from '../clock.js'
import { onDurable } from '../durable.js'
import { normalizePrefix } from '../internal/object-key.js'
import { createS3Sink, runKey } from '../sinks/create-s3-sink.js'
import type { CliOptions } from './cli-options.js'
import { asFlags } from './flag-errors.js'
import { cliTemplate } from './cli-template.js'
import { templateRunKey } from '../internal/template-key.js'
import type { InputRecord } from './ndjson-lines.js'
import { outDirRecords } from './out-dir-records.js'

/** The stages of `--per-record` after the filter: what feeds the sink, and the sink. */
export interface PerRecordDelivery {
  stages: Transform[]
  sink: Writable
}

/**
 * One object per Run: `createS3Sink()` for S3, or the same objects (content
 * `JSON.stringify(run)`, key `[prefix][api]/[runId].json` from the sink's own
 * `runKey()`) as files under `--out-dir`. Records arrive already filtered.
 *
 * @example
 * ```ts
 * const { stages, sink } = perRecordDelivery(options, client, systemClock)
 * await pipeline(input, filter, ...stages, sink)
 * ```
 */
export function perRecordDelivery (options: CliOptions, client: S3Client | undefined, clock: Clock, onSkipped: () => void = () => {}): PerRecordDelivery {
  const template = cliTemplate(options)
  let index = 0
  if (options.outDir !== undefined) {
    const dir = options.outDir
    const prefix = asFlags(() => normalizePrefix(options.prefix, 'options.prefix'))
    const sink = asFlags(() => outDirRecords<InputRecord>({
      dir,
      concurrency: options.concurrency,
      key: (record) => template === undefined ? runKey(prefix, record.value, clock.now()) : templateRunKey(template, prefix, record.value, clock.now(), index++),
      body: (record) => JSON.stringify(record.value)
    }))
    return { stages: [skipInvalid(onSkipped)], sink }
  }
  const sink = asFlags(() => createS3Sink({
    type: 's3', bucket: options.bucket, prefix: options.prefix, concurrency: options.concurrency, client, clock,
    retryFor: options.retryFor, ifNoneMatch: options.ifNoneMatch, ...(options.params === undefined ? {} : { params: options.params }), ...(template === undefined ? {} : { keyTemplate: template })
  }))
  return { stages: [skipInvalid(onSkipped), values()], sink }
}

/** Drops the lines that are not JSON objects: only `--on-invalid skip` lets them this far (dead-letter needs batches). */
export function skipInvalid (onSkipped: () => void): Transform {
  return new Transform({
    objectMode: true,
    transform (record: InputRecord, _encoding: BufferEncoding, cb: TransformCallback) {
      if (record.invalid === undefined) return cb(null, record)
      onSkipped()
      cb()
    }
  })
}

/**
 * InputRecord → the Run itself, which is what the S3 sink takes. A source
 * that put an acknowledgement on the input record has it moved onto the Run
 * (a symbol key: the stored JSON is unchanged).
 */
function values (): Transform {
  return new Transform({
    objectMode: true,
    transform (record: InputRecord, _encoding: BufferEncoding, cb: TransformCallback) {
      const callback = (record as { [onDurable]?: unknown })[onDurable]
      const value = record.value
      if (callback !== undefined && typeof value === 'object' && value !== null) {
        (value as { [onDurable]?: unknown })[onDurable] = callback
      }
      cb(null, value)
    }
  })
}
