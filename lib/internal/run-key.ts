import { createHash } from 'node:crypto'
import { defaultKey } from './object-key.js'

/** Longer key segments are shortened, keeping a hash so distinct names stay distinct. */
const MAX_SEGMENT_BYTES = 128

interface RunLike { apiInfo?: { name?: unknown, runId?: unknown } }

/**
 * The key of a Run's object: `[prefix][api]/[runId].json` from
 * `apiInfo.name` and `apiInfo.runId`, so a redelivered Run replaces its
 * object; without a runId, `[prefix][api]/YYYY/MM/DD/HH/YYYY-MM-DD-HH-MM-SS-<64 hex>.json`
 * (UTC, at `now`). Both parts are percent-encoded where unsafe (`a/b` →
 * `a%2Fb`, `..` → `%2E%2E`); a missing or empty API name becomes `_unknown`.
 * `prefix` must already be normalized.
 *
 * @example
 * ```ts
 * runKey('prod/', { apiInfo: { name: 'search', runId: 'r-1' } }, Date.now()) // 'prod/search/r-1.json'
 * ```
 */
export function runKey (prefix: string, run: unknown, now: number): string {
  const info = (run as RunLike | null)?.apiInfo
  const api = typeof info?.name === 'string' && info.name !== '' ? keySegment(info.name) : '_unknown'
  const runId = info?.runId
  if (typeof runId === 'string' && runId !== '') return `${prefix}${api}/${keySegment(runId)}.json`
  // Same time layout as batched objects; only the extension differs.
  return defaultKey(`${prefix}${api}/`, { openedAt: now }).replace(/\.ndjson$/, '.json')
}

/**
 * One key segment from arbitrary text: `%`, `/` and control characters are
 * percent-encoded and a `.` or `..` segment becomes `%2E`/`%2E%2E`, so two
 * different names never share an object (long ones keep a hash of the whole).
 */
function keySegment (text: string): string {
  // eslint-disable-next-line no-control-regex
  let out = text.replace(/[%/\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
  if (out === '.' || out === '..') out = out.replaceAll('.', '%2E')
  if (Buffer.byteLength(out) <= MAX_SEGMENT_BYTES) return out
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 32)
  return `${Array.from(out).slice(0, 64).join('')}~${hash}`
}
