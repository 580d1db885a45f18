import { createHash, randomBytes } from 'node:crypto'
import type { Batch } from '../batch.js'
import { compressionExtension } from './compression-extension.js'
import { InvalidOptionError, MissingPositionError } from '../errors.js'
import { validateKeyText, validateString } from './validate.js'

const MAX_PREFIX_BYTES = 900

/**
 * Normalizes a key prefix so that `logs`, `logs/` and `logs//` all give
 * `logs/`, and no prefix gives `''` (keys then start at `YYYY`).
 */
export function normalizePrefix (prefix: unknown, name: string): string {
  const text = validateString(prefix, name, { empty: true }) ?? ''
  const trimmed = text.replace(/\/+$/, '')
  if (trimmed === '') {
    if (text !== '') validateKeyText(text, name)
    return ''
  }
  validateKeyText(trimmed, name)
  // Keys are at most 1024 bytes and a default key adds about 106 to the prefix.
  if (Buffer.byteLength(trimmed) > MAX_PREFIX_BYTES) throw new InvalidOptionError(name, `must be at most ${MAX_PREFIX_BYTES} bytes, leaving room for object names`)
  return `${trimmed}/`
}

const pad = (n: number): string => (n < 10 ? `0${n}` : String(n))

/**
 * `[prefix]YYYY/MM/DD/HH/YYYY-MM-DD-HH-MM-SS-IDENTIFIER.gz` in UTC, from the
 * batch's `openedAt` (when its first record arrived). IDENTIFIER is 32 random
 * bytes in lowercase hex: unique across processes and hosts without any
 * coordination. The extension is {@link compressionExtension}'s (`.gz` for
 * gzip, `.zst` for zstd), `.ndjson` for an uncompressed body.
 * A partitioned batch (e.g. `dead-letter`) goes under `[prefix][partition]/`.
 */
export function defaultKey (prefix: string, batch: Pick<Batch, 'openedAt' | 'contentEncoding' | 'partition'>): string {
  return datedKey(prefix, batch, batch.openedAt, randomBytes(32).toString('hex'))
}

/**
 * The key a replay gives again: {@link defaultKey}'s layout, dated by the
 * batch's window (`windowStart`) instead of its arrival, with
 * {@link stableId} for IDENTIFIER. Throws `ERR_NO_POSITION` for a batch
 * without a position.
 */
export function stableKey (prefix: string, batch: Pick<Batch, 'windowStart' | 'contentEncoding' | 'partition' | 'acks' | 'seq'>): string {
  return datedKey(prefix, batch, batch.windowStart, stableId(batch))
}

/**
 * 64 hex characters that name a batch by where it starts in its source: the
 * SHA-256 of its partition and its first record's position (type and
 * value). Batches cut at the same records (by count or size, never by a
 * timer) get the same id on every replay; the last position is not part of
 * it because the key is needed before the batch ends (an upload starts with
 * its first bytes), which is also how Kafka Connect names its files
 * (`topic+partition+startOffset`).
 */
export function stableId (batch: Pick<Batch, 'partition' | 'acks' | 'seq'>): string {
  const first = batch.acks?.first
  if (first === undefined) throw new MissingPositionError(batch.seq)
  return createHash('sha256').update(JSON.stringify([batch.partition ?? null, typeof first, String(first)])).digest('hex')
}

function datedKey (prefix: string, batch: Pick<Batch, 'contentEncoding' | 'partition'>, time: number, id: string): string {
  const d = new Date(time)
  const Y = String(d.getUTCFullYear())
  const M = pad(d.getUTCMonth() + 1)
  const D = pad(d.getUTCDate())
  const h = pad(d.getUTCHours())
  const m = pad(d.getUTCMinutes())
  const s = pad(d.getUTCSeconds())
  const ext = compressionExtension(batch.contentEncoding) || '.ndjson'
  const folder = batch.partition === undefined ? prefix : `${prefix}${batch.partition}/`
  return `${folder}${Y}/${M}/${D}/${h}/${Y}-${M}-${D}-${h}-${m}-${s}-${id}${ext}`
}
