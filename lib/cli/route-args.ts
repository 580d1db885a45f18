import { InvalidOptionError } from '../errors.js'
import { COMPRESSIONS, type Compression } from '../internal/compression.js'
import { nearestName, validateOneOf } from '../internal/validate.js'
import { byteSize } from './byte-size.js'
import { parseDuration } from './duration.js'

/** One condition of a route: the field at `path` equals (or differs from) `value`, compared as text. */
export interface RouteCondition {
  path: string[]
  equals: boolean
  value: string
}

/** One `--route`, parsed; ranges are checked by the stages when the delivery is built. */
export interface CliRoute {
  name: string
  /** All must hold; empty: every record (the last route only). */
  when: RouteCondition[]
  perRecord: boolean
  prefix?: string
  keyTemplate?: string
  compression?: Compression
  level?: number
  windowMs?: number
  maxRecords?: number
  maxBytes?: number
}

/** Settings that take a value, and the field each sets; per-record objects take none of the batch ones. */
const VALUED = { when: 'when', prefix: 'prefix', 'key-template': 'keyTemplate', compression: 'compression', 'compression-level': 'level', window: 'windowMs', 'window-ms': 'windowMs', 'max-records': 'maxRecords', 'max-bytes': 'maxBytes' } as const
const BATCH_SETTINGS = ['compression', 'compression-level', 'window', 'window-ms', 'max-records', 'max-bytes'] as const
const SETTINGS = [...Object.keys(VALUED), 'per-record']
/** Global flags that mean something else, or nothing, once records are routed. */
const NOT_WITH_ROUTES = { 'per-record': 'give per-record to the routes that want it', manifests: 'the routes share one uploader, whose manifests would mix their objects' } as const

/**
 * The repeated `--route NAME[:SETTING,...]` flags: each record goes to the
 * first route whose `when` conditions all hold. Settings: `when=PATH=VALUE`
 * (or `PATH!=VALUE`; repeatable, all must hold), `prefix=P` (after
 * `--prefix`), `key-template=T`, `per-record` (one .json object per Run),
 * and for batches `compression=ALG`, `compression-level=N`, `window=DURATION`
 * (as `--window`: `90s`, `5m`) or `window-ms=MS`, `max-records=N`,
 * `max-bytes=SIZE` (the batch flags are the defaults).
 * A value cannot contain a comma. Errors name the route and the setting
 * (`--route errors:compresion`), never a value.
 *
 * @example
 * ```ts
 * parseRoutes(['errors:when=apiInfo.result.status=failed,per-record,prefix=errors/', 'runs:prefix=runs/'], {})
 * ```
 */
export function parseRoutes (values: string[] | undefined, flags: { 'per-record'?: boolean, manifests?: boolean, 'on-invalid'?: string }): CliRoute[] | undefined {
  if (values === undefined) return undefined
  for (const [flag, why] of Object.entries(NOT_WITH_ROUTES)) {
    if (flags[flag as keyof typeof NOT_WITH_ROUTES] === true) throw new InvalidOptionError(`--${flag}`, `cannot be combined with --route: ${why}`)
  }
  if (flags['on-invalid'] === 'dead-letter') throw new InvalidOptionError('--on-invalid', 'dead-letter cannot be combined with --route (use error or skip)')
  const names = new Set<string>()
  return values.map((text, i) => {
    const route = parseRoute(text)
    if (names.has(route.name)) throw new InvalidOptionError(`--route ${route.name}`, 'repeats a route name')
    names.add(route.name)
    if (route.when.length === 0 && i < values.length - 1) throw new InvalidOptionError(`--route ${route.name}`, 'has no when= but is not the last --route: it would take every record, leaving none to the routes after it')
    return route
  })
}

function parseRoute (text: string): CliRoute {
  const colon = text.indexOf(':')
  const name = colon === -1 ? text : text.slice(0, colon)
  if (!/^[A-Za-z0-9_-]+$/.test(name)) throw new InvalidOptionError('--route', 'must start with a route name of letters, digits, "-" or "_" (--route NAME:SETTING,...)')
  const route: CliRoute = { name, when: [], perRecord: false }
  const given = new Set<string>()
  for (const part of colon === -1 ? [] : text.slice(colon + 1).split(',')) {
    const eq = part.indexOf('=')
    const setting = eq === -1 ? part : part.slice(0, eq)
    const at = `--route ${name}:${setting}`
    if (!SETTINGS.includes(setting)) {
      const near = nearestName(setting, SETTINGS)
      throw new InvalidOptionError(`--route ${name}`, `has an unknown setting${setting === '' ? ' (an empty one)' : ` "${setting}"`}${near === undefined ? '' : `; did you mean ${near}?`} (known: ${SETTINGS.join(', ')})`)
    }
    if (setting !== 'when' && given.has(setting)) throw new InvalidOptionError(at, 'is given twice')
    given.add(setting)
    if (setting === 'per-record') {
      if (eq !== -1) throw new InvalidOptionError(at, 'takes no value')
      route.perRecord = true
      continue
    }
    if (eq === -1 || eq === part.length - 1) throw new InvalidOptionError(at, `needs a value (${setting}=...)`)
    set(route, setting as keyof typeof VALUED, part.slice(eq + 1), at)
  }
  if (given.has('window') && given.has('window-ms')) throw new InvalidOptionError(`--route ${name}:window`, 'cannot be combined with window-ms (give one of them)')
  const batchOnly = BATCH_SETTINGS.find((s) => given.has(s))
  if (route.perRecord && batchOnly !== undefined) throw new InvalidOptionError(`--route ${name}:${batchOnly}`, 'cannot be combined with per-record (one object per Run is not compressed or windowed)')
  return route
}

function set (route: CliRoute, setting: keyof typeof VALUED, value: string, at: string): void {
  switch (setting) {
    case 'when': route.when.push(condition(value, at)); return
    case 'prefix': route.prefix = value; return
    case 'key-template': route.keyTemplate = value; return
    case 'compression': route.compression = validateOneOf(value, at, COMPRESSIONS); return
    case 'max-bytes': route.maxBytes = byteSize(value, at); return
    case 'window': route.windowMs = parseDuration(value, at); return
    default: route[VALUED[setting] as 'level' | 'windowMs' | 'maxRecords'] = whole(value, at)
  }
}

function condition (value: string, at: string): RouteCondition {
  const match = /^([^=!]+)(!?=)(.*)$/.exec(value)
  if (match === null) throw new InvalidOptionError(at, 'must be when=PATH=VALUE or when=PATH!=VALUE, e.g. when=apiInfo.result.status=failed')
  const path = match[1]!.split('.')
  if (path.some((segment) => segment === '')) throw new InvalidOptionError(at, 'has an empty segment in its field path')
  return { path, equals: match[2] === '=', value: match[3]! }
}

function whole (value: string, at: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidOptionError(at, 'must be a whole number')
  return Number(value)
}
