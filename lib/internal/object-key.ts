import { randomBytes } from 'node:crypto'
import type { Batch } from '../batch.js'
import { compressionExtension } from './compression-extension.js'
import { InvalidOptionError } from '../errors.js'
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
  const d = new Date(batch.openedAt)
  const Y = String(d.getUTCFullYear())
  const M = pad(d.getUTCMonth() + 1)
  const D = pad(d.getUTCDate())
  const h = pad(d.getUTCHours())
  const m = pad(d.getUTCMinutes())
  const s = pad(d.getUTCSeconds())
  const ext = compressionExtension(batch.contentEncoding) || '.ndjson'
  const folder = batch.partition === undefined ? prefix : `${prefix}${batch.partition}/`
  return `${folder}${Y}/${M}/${D}/${h}/${Y}-${M}-${D}-${h}-${m}-${s}-${randomBytes(32).toString('hex')}${ext}`
}
