import { Readable, Transform, type TransformCallback } from 'node:stream'
import type { Batch } from '../batch.js'
import { BatchAcks } from '../batch-acks.js'
import type { Clock } from '../clock.js'
import { CallbackError, toError } from '../errors.js'
import type { KeyTemplate } from '../key-template.js'
import { durableOf } from './durable-callback.js'
import { recordLine } from './ndjson-line.js'
import { runKey } from './run-key.js'
import { templateRunKey } from './template-key.js'

/** Options of {@link runObjects}. */
export interface RunObjectsOptions {
  /** Normalized key prefix. */
  prefix: string
  template: KeyTemplate | undefined
  clock: Clock
  /** The Run inside a record (the CLI's input records hold it as `value`). Default: the record itself. */
  runOf?: (record: unknown) => unknown
}

/**
 * One batch per Run, for a routed sink's per-record outputs: the object
 * `createS3Sink()` writes per Run (content exactly `JSON.stringify(run)`,
 * `application/json`, key `[prefix][api]/[runId].json` or by template), as
 * a batch any `s3Writable()` can upload beside the windows' batches. The
 * record's `onDurable` travels in the batch's `acks`.
 */
export function runObjects (options: RunObjectsOptions): Transform {
  const runOf = options.runOf ?? ((record: unknown) => record)
  let index = 0
  return new Transform({
    objectMode: true,
    highWaterMark: 1,
    transform (record: unknown, _encoding: BufferEncoding, cb: TransformCallback) {
      let batch: Batch
      try {
        const run = runOf(record)
        const seq = index++
        const now = timeOf(options.clock)
        // The object's content is exactly JSON.stringify(run): the NDJSON line without its newline.
        const body = Buffer.from(recordLine(run, seq).slice(0, -1))
        const acks = new BatchAcks()
        acks.add(durableOf(record))
        // Nothing more will be written into it: its upload holds a slot like any finished batch.
        acks.seal()
        batch = {
          kind: 'batch',
          body: Readable.from([body], { objectMode: false }),
          windowStart: now,
          windowEnd: now,
          openedAt: now,
          seq,
          key: options.template === undefined ? runKey(options.prefix, run, now) : templateRunKey(options.template, options.prefix, run, now, seq),
          contentType: 'application/json',
          stats: { records: 1, bytes: body.length },
          acks
        }
      } catch (err) {
        return cb(toError(err))
      }
      cb(null, batch)
    }
  })
}

function timeOf (clock: Clock): number {
  let now: unknown
  try { now = clock.now() } catch (err) { throw new CallbackError('config.clock.now', 'threw', { cause: err }) }
  if (typeof now !== 'number' || !Number.isFinite(now)) throw new CallbackError('config.clock.now', 'must return a finite number')
  return now
}
