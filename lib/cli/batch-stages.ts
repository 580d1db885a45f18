import { Transform, type TransformCallback } from 'node:stream'
import type { Clock } from '../clock.js'
import { sourcePosition } from '../source-position.js'
import { compress } from '../stages/compress.js'
import { keyRotate } from '../stages/key-rotate.js'
import { minuteWindow } from '../stages/minute-window.js'
import { timeField } from '../internal/event-time.js'
import { readPath } from '../internal/key-segment.js'
import type { CliOptions } from './cli-options.js'
import { cliTemplate } from './cli-template.js'
import { asFlags } from './flag-errors.js'
import type { InputRecord } from './ndjson-lines.js'
import type { Progress } from './progress.js'

/**
 * `minuteWindow → compress → keyRotate` (after file positions with --stable-keys) for the batch flags.
 *
 * @example
 * ```ts
 * await pipeline(input, filter, ...batchStages(options, systemClock, progress), batchSink(options, client, systemClock))
 * ```
 */
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
    ...(options.allowedLatenessMs === undefined ? {} : { allowedLatenessMs: options.allowedLatenessMs }),
    ...(options.onLate === undefined ? {} : { onLate: options.onLate }),
    ...(options.idleTimeoutMs === undefined ? {} : { idleTimeoutMs: options.idleTimeoutMs }),
    ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize })
  }), { 'options.timeOf': '--time-field' })
  window.on('invalid', () => { progress.invalid++ })
  window.on('late', () => { progress.late++ })
  const { compression, level, threads, blockSize, gzipChunkSize: chunkSize } = options
  const encoder = asFlags(() => compress({ compression, level, threads, blockSize, chunkSize }), {
    'options.compression': '--compression',
    'options.level': '--compression-level',
    'options.threads': '--gzip-threads',
    'options.chunkSize': '--gzip-chunk-size'
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
