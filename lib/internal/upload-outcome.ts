import type { AbandonedOutcome } from '../sinks/object-abandoned.js'

/** `'stored'`: S3 confirmed it; else what it left (see {@link AbandonedOutcome}). */
export type UploadOutcome = 'stored' | AbandonedOutcome

/** Failures before a request reaches the store: no connection, no address, no credentials to sign it with. */
const NEVER_SENT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'ENETDOWN'])

/**
 * The store answered and said no (a 4xx, or 503: S3 sends SlowDown before
 * doing anything), or the request never reached it (refused connection,
 * unknown host, credentials that could not be loaded). A 500, a timeout, a
 * reset or a cancelled request says nothing of whether the write took effect.
 */
export function refused (err: unknown): boolean {
  const e = err as { $metadata?: { httpStatusCode?: unknown }, code?: unknown, name?: unknown } | null
  const status = e?.$metadata?.httpStatusCode
  if (typeof status === 'number') return (status >= 400 && status < 500) || status === 503
  return NEVER_SENT_CODES.has(e?.code as string) || e?.name === 'CredentialsProviderError'
}

/** A conditional write (`If-None-Match: *`) found the key taken (412). */
export function isPreconditionFailed (err: unknown): boolean {
  const e = err as { name?: unknown, $metadata?: { httpStatusCode?: unknown } } | null
  return e?.name === 'PreconditionFailed' || e?.$metadata?.httpStatusCode === 412
}
