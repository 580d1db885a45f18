import { randomBytes } from 'node:crypto'
import type { Batch } from '../batch.js'
import { InvalidOptionError } from '../errors.js'
import { isKeyTemplate, keyTemplate, type KeyTemplate } from '../key-template.js'
import { compressionExtension } from './compression-extension.js'
import { fieldSegment } from './key-segment.js'

/** Partitions that are not record-field values: their batches go in a folder of their own. */
const SPECIAL = new Set(['dead-letter', 'late'])

/**
 * The key of a batch by a template: date parts from `time` (default the
 * batch's `openedAt`: its first record's arrival, or event time), `{id}` from
 * `id` (default 64 random hex characters), `{ext}` from its encoding, record
 * fields from `batch.fields`, and a `dead-letter` or `late` batch in its folder.
 */
export function templateKey (template: KeyTemplate, prefix: string, batch: Batch, options: { id?: string, time?: number } = {}): string {
  const special = batch.partition !== undefined && SPECIAL.has(batch.partition) ? batch.partition : undefined
  return template.render({
    time: options.time ?? batch.openedAt,
    id: options.id ?? randomBytes(32).toString('hex'),
    seq: batch.seq,
    ext: compressionExtension(batch.contentEncoding),
    prefix,
    ...(batch.fields === undefined ? {} : { fields: batch.fields }),
    ...(special === undefined ? {} : { special })
  })
}

/** A `keyTemplate` option: a template string (parsed here, once) or a parsed {@link KeyTemplate}. */
export function resolveKeyTemplate (value: unknown, name: string, timeZone: unknown, timeZoneName: string, unique = true): KeyTemplate | undefined {
  if (value === undefined) {
    if (timeZone !== undefined) throw new InvalidOptionError(timeZoneName, `needs ${name}`)
    return undefined
  }
  if (isKeyTemplate(value)) {
    if (timeZone !== undefined) throw new InvalidOptionError(timeZoneName, `cannot be combined with a parsed ${name}: give it to keyTemplate()`)
    return value
  }
  if (typeof value !== 'string') throw new InvalidOptionError(name, 'must be a template string or a keyTemplate()')
  return keyTemplate(value, { option: name, timeZoneOption: timeZoneName, unique, ...(timeZone === undefined ? {} : { timeZone: timeZone as string }) })
}

/** A Run's key by template: fields from the Run, `{id}` its runId (sanitized) or random, dated `now`. */
export function templateRunKey (template: KeyTemplate, prefix: string, run: unknown, now: number, index: number): string {
  const runId = (run as { apiInfo?: { runId?: unknown } } | null)?.apiInfo?.runId
  const named = (typeof runId === 'string' && runId !== '') || (typeof runId === 'number' && Number.isFinite(runId))
  return template.render({ time: now, id: named ? fieldSegment(runId) : randomBytes(32).toString('hex'), seq: index, ext: '', prefix, fields: template.partitionOf(run) })
}
