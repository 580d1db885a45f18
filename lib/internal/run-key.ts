import { createHash } from 'node:crypto'
import { defaultKey } from './object-key.js'

/** Longer key segments are shortened, keeping a hash so distinct names stay distinct. */
const MAX_SEGMENT_BYTES = 128

interface RunLike { apiInfo?: { name?: unknown, runId?: unknown } }

/**
 * The key of a Run's object: `[prefix][api]/[runId].json` from
 * `apiInfo.name` and `apiInfo.runId`, so a redelivered Run replaces its
 * object. A runId that is not a string keys by its string form (`42` →
 * `42.json`; objects and arrays by their JSON), so it is as stable as a
 * string one. Without a usable runId (missing, `null`, empty):
 * `[prefix][api]/YYYY/MM/DD/HH/YYYY-MM-DD-HH-MM-SS-<64 hex>.json` (UTC, at
 * `now`). Both parts are percent-encoded where unsafe (`a/b` → `a%2Fb`, `..`
 * → `%2E%2E`); a missing or empty API name becomes `_unknown`, and an API
 * really named `_unknown` becomes `%5Funknown`, so the two never share a
 * folder. `prefix` must already be normalized.
 *
 * @example
 * ```ts
 * runKey('prod/', { apiInfo: { name: 'search', runId: 'r-1' } }, Date.now()) // 'prod/search/r-1.json'
 * ```
 */
export function runKey (prefix: string, run: unknown, now: number): string {
  const info = (run as RunLike | null)?.apiInfo
  const api = typeof info?.name === 'string' && info.name !== '' ? keySegment(info.name) : UNKNOWN_API
  const runId = runIdText(info?.runId)
  if (runId !== undefined) return `${prefix}${api}/${keySegment(runId)}.json`
  // Same time layout as batched objects; only the extension differs.
  return defaultKey(`${prefix}${api}/`, { openedAt: now }).replace(/\.ndjson$/, '.json')
}

const UNKNOWN_API = '_unknown'

/** The text a runId keys by, or `undefined` when it has none worth keying by. */
function runIdText (runId: unknown): string | undefined {
  if (runId === undefined || runId === null) return undefined
  let text: string | undefined
  if (typeof runId === 'string') text = runId
  else if (typeof runId === 'number' || typeof runId === 'bigint' || typeof runId === 'boolean') text = String(runId)
  else if (typeof runId === 'object') {
    try { text = JSON.stringify(runId) } catch { text = undefined }
  }
  return text === undefined || text === '' ? undefined : text
}

/**
 * One key segment from arbitrary text: `%`, `/` and control characters are
 * percent-encoded and a `.` or `..` segment becomes `%2E`/`%2E%2E`, so two
 * different names never share an object (long ones keep a hash of the whole).
 */
function keySegment (text: string): string {
  let out = text.replace(/[%/\u0000-\u001f\u007f]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase().padStart(2, '0')}`)
  if (out === '.' || out === '..') out = out.replaceAll('.', '%2E')
  // The folder of Runs without a name is reserved: a real API of that name moves aside.
  if (out === UNKNOWN_API) out = `%5F${out.slice(1)}`
  if (Buffer.byteLength(out) <= MAX_SEGMENT_BYTES) return out
  const hash = createHash('sha256').update(text).digest('hex').slice(0, 32)
  return `${Array.from(out).slice(0, 64).join('')}~${hash}`
}
