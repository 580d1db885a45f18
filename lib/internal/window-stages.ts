import type { Transform } from 'node:stream'
import type { Clock } from '../clock.js'
import type { KeyTemplate } from '../key-template.js'
import type { BatchOptions } from '../sinks/batch-options.js'
import { compress } from '../stages/compress.js'
import { keyRotate } from '../stages/key-rotate.js'
import { minuteWindow } from '../stages/minute-window.js'

/**
 * `minuteWindow → compress → keyRotate` for the batched options of a sink
 * config (or of one of its routes): the template's record fields partition
 * the windows, `stableKeys` names objects after their first position and,
 * unless told otherwise, closes batches only when full.
 */
export function windowStages (batched: BatchOptions, template: KeyTemplate | undefined, prefix: string, clock: Clock | undefined): { window: Transform, stages: Transform[] } {
  const { windowMs, maxBytes, maxRecords, chunkSize, onInvalid, compression, level, threads, timeOf, allowedLatenessMs, onLate, idleTimeoutMs, maxOpenPartitions, stableKeys, closeOnTime } = batched
  const fields = template?.fields ?? []
  const window = minuteWindow({
    windowMs, maxBytes, maxRecords, chunkSize, onInvalid, clock, maxOpenPartitions,
    // A replay cuts the same batches only if no timer cuts them.
    closeOnTime: closeOnTime ?? stableKeys !== true,
    // The template's record fields are the partitions: each object holds one value of them.
    ...(fields.length === 0 ? {} : { partitionBy: fields }),
    ...(timeOf === undefined ? {} : { timeOf, allowedLatenessMs, onLate, idleTimeoutMs })
  })
  const name = keyRotate({ prefix, ...(stableKeys === true ? { stableKeys } : {}), ...(template === undefined ? {} : { keyTemplate: template }) })
  return { window, stages: [window, compress({ compression, level, threads }), name] }
}
