import type { AbandonedOutcome } from '../sinks/object-abandoned.js'

/** `'stored'`: S3 confirmed it; else what it left (see {@link AbandonedOutcome}). */
export type UploadOutcome = 'stored' | AbandonedOutcome

/**
 * The store answered and said no: a 4xx, or 503 (S3 sends SlowDown before
 * doing anything). A 500, a timeout, a reset or a cancelled request says
 * nothing of whether the write took effect.
 */
export function refused (err: unknown): boolean {
  const status = (err as { $metadata?: { httpStatusCode?: unknown } } | null)?.$metadata?.httpStatusCode
  return typeof status === 'number' && ((status >= 400 && status < 500) || status === 503)
}

/** A conditional write (`If-None-Match: *`) found the key taken (412). */
export function isPreconditionFailed (err: unknown): boolean {
  const e = err as { name?: unknown, $metadata?: { httpStatusCode?: unknown } } | null
  return e?.name === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 412
}
