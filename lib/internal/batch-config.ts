import type { ConfigIssue } from '../errors.js'
import { resolveManifests } from '../sinks/writable-options.js'
import type { BatchOptions } from '../sinks/batch-options.js'
import { compress } from '../stages/compress.js'
import { minuteWindow } from '../stages/minute-window.js'
import { problemOf, type Issues } from './config-issues.js'
import { typeName, validateBoolean, validateKnownKeys } from './validate.js'

const WINDOW_FIELDS = ['windowMs', 'maxBytes', 'maxRecords', 'chunkSize', 'onInvalid']
const COMPRESSION_FIELDS = ['compression', 'level', 'threads']
const LAYOUT_FIELDS = ['timeOf', 'allowedLatenessMs', 'onLate', 'idleTimeoutMs', 'maxOpenPartitions']
const BOOLEAN_FIELDS = ['encodingHeader', 'stableKeys', 'closeOnTime'] as const
const BATCH_FIELDS = [...WINDOW_FIELDS, ...COMPRESSION_FIELDS, ...LAYOUT_FIELDS, ...BOOLEAN_FIELDS, 'manifests']

/**
 * `{ [field]: value }` with the `timeOf` it depends on: the caller's own, or,
 * when that is not a function (reported on its own), a stand-in, so a field
 * is not also blamed for a bad `timeOf`.
 *
 * @example
 * ```ts
 * minuteWindow(besideTimeOf({ timeOf: 'at', onLate: 'drop' }, 'onLate')) // checks onLate alone
 * ```
 */
export function besideTimeOf (fields: Record<string, unknown>, field: string): Record<string, unknown> {
  if (field === 'timeOf' || fields.timeOf === undefined) return { [field]: fields[field] }
  return { timeOf: typeof fields.timeOf === 'function' ? fields.timeOf : () => 0, [field]: fields[field] }
}

/**
 * The `batched` field of a sink config (at `at`: `batched`, or
 * `routes[1].batched`): `null` for one object per Run, else the checked
 * window options. The stages own the rules, so they are asked rather than
 * restated; every problem becomes an issue under `at`.
 */
export function checkBatched (issues: Issues, value: unknown, at: string): BatchOptions | null {
  if (value === undefined || value === false) return null
  if (value === true) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    issues.add(at, 'type', `must be true, false or an object of window options, got ${typeName(value)}`)
    return null
  }
  const fields = value as Record<string, unknown>
  const under = `${at}.`
  const problem = (path: string): ConfigIssue['problem'] => problemOf(path, fields[path.slice(under.length)])
  for (const key of Object.keys(fields)) {
    issues.check(fields[key], () => { validateKnownKeys({ [key]: true }, `config.${at}`, BATCH_FIELDS, 'field') }, () => 'unknown')
  }
  const options: Record<string, unknown> = {}
  for (const field of WINDOW_FIELDS) {
    if (fields[field] === undefined) continue
    // A stage named in the error gives the field.
    const ok = issues.check(fields[field], () => minuteWindow({ [field]: fields[field] }), problemOf, under)
    if (ok !== undefined) options[field] = fields[field]
  }
  // Checked together: a level's range depends on the compression.
  const chosen: Record<string, unknown> = {}
  for (const field of COMPRESSION_FIELDS) if (fields[field] !== undefined) chosen[field] = fields[field]
  if (issues.check(chosen, () => compress(chosen), problem, under) !== undefined) Object.assign(options, chosen)
  // Lateness and onLate need timeOf, so each is checked beside it; one at a time, so every bad one is reported.
  const layout: Record<string, unknown> = {}
  let layoutOk = true
  for (const field of LAYOUT_FIELDS) {
    if (fields[field] === undefined) continue
    layout[field] = fields[field]
    if (issues.check(fields[field], () => minuteWindow(besideTimeOf(fields, field)), problem, under) === undefined) layoutOk = false
  }
  if (layoutOk) Object.assign(options, layout)
  if (fields.manifests !== undefined && issues.check(fields.manifests, () => resolveManifests(fields.manifests, `config.${at}.manifests`)) !== undefined) options.manifests = fields.manifests
  for (const field of BOOLEAN_FIELDS) {
    const flag = issues.check(fields[field], () => validateBoolean(fields[field], `config.${at}.${field}`))
    if (flag !== undefined) options[field] = flag
  }
  return options as BatchOptions
}
