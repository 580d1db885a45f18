import type { S3Client } from '@aws-sdk/client-s3'
import type { Clock } from '../clock.js'
import { ConfigError, InvalidOptionError, type ConfigIssue } from '../errors.js'
import { normalizePrefix } from '../internal/object-key.js'
import { CONNECTION_FIELDS, createUploadClient, type S3ConnectionOptions } from '../internal/s3-client.js'
import { validateRetryFor } from '../internal/retry-options.js'
import {
  typeName, validateBoolean, validateInteger, validateKnownKeys, validateOneOf, validateString
} from '../internal/validate.js'
import { compress, type Compression } from '../stages/compress.js'
import { resolveKeyTemplate } from '../internal/template-key.js'
import type { KeyTemplate } from '../key-template.js'
import { resolveManifests } from './s3-writable.js'
import { minuteWindow } from '../stages/minute-window.js'

/** Window and compression options of the batched sink (`batched: { ... }`). */
export interface BatchOptions {
  /** Window length in ms. Default 60000 (one object per minute). */
  windowMs?: number
  /** Close an object before its uncompressed NDJSON exceeds this many bytes. Default 1 GiB. */
  maxBytes?: number
  /** Close an object once it holds this many records. Default: no limit. */
  maxRecords?: number
  /** `'gzip'` (default), `'zstd'` (Node >= 22.15) or `'none'`: as `compress()`. */
  compression?: Compression
  /** gzip 0 to 9 (default 6), zstd 1 to 19 (default 3). */
  level?: number
  /** gzip only: blocks compressed at once (parallel gzip). Default 1. */
  threads?: number
  /** `false`: `.gz`/`.zst` objects as `application/gzip`/`application/zstd` without Content-Encoding (see `s3Writable`). Default `true`. */
  encodingHeader?: boolean
  /** Windows by event time: the Run's time in ms (see `minuteWindow()`). Default: arrival time. */
  timeOf?: (record: unknown) => number
  /** With `timeOf`: how late a Run may be and still join its window. Default 0. */
  allowedLatenessMs?: number
  /** Most partitions (of the key template's record fields) open at once. Default 16. */
  maxOpenPartitions?: number
  /** A manifest per window and partition (see `s3Writable()`): `true` or `{ keyTemplate }`. */
  manifests?: boolean | { keyTemplate?: string }
}

/**
 * The S3 sink config as the Intuned Run and Job APIs document it, plus the
 * tuning fields of this package. Every field is checked; unknown ones are
 * errors, so a typo (`skipOnFailure`) never passes silently.
 */
export interface S3SinkConfig extends S3ConnectionOptions {
  /** Must be `'s3'`. */
  type: 's3'
  /** Target bucket (required, or `bucketName`). */
  bucket?: string
  /** Alias of `bucket`, as in the sink documentation's own example. */
  bucketName?: string
  /** Key prefix; `runs` and `runs/` give the same keys. Default: none. */
  prefix?: string
  /** Drop failed Runs (`apiInfo.result.status === 'failed'`). Default `false`. */
  skipOnFail?: boolean
  /** Deliver only these APIs (`apiInfo.name`). Default: every API. */
  apisToSend?: readonly string[]
  /** Objects uploaded at once. Default 8 per Run, 2 batched. */
  concurrency?: number
  /** An S3 client of your own instead of the connection fields (which must then be absent). */
  client?: S3Client
  /** `true` or window options: minute-window NDJSON gzip objects instead of one object per Run. */
  batched?: boolean | BatchOptions
  /** Time source for fallback keys, windows and retry waits; tests inject a fake one. Default: the system clock. */
  clock?: Clock
  /** How long a failing request of an object is retried, in ms from its first failure. Default 900000 (15 minutes); see `s3Writable()`. */
  retryFor?: number
  /** Conditional writes (`If-None-Match: *`): an object already at the key counts as stored. Default `false`. */
  ifNoneMatch?: boolean
  /**
   * Key template (see `keyTemplate()`). Batched: its record fields partition
   * the windows. Per Run: fields come from the Run, `{id}` is the runId
   * (sanitized) or random, `{ext}` is empty. Default: the documented keys.
   */
  keyTemplate?: string | KeyTemplate
  /** IANA time zone of `keyTemplate`'s date parts. Default `UTC`. */
  timeZone?: string
}

/** A checked config, ready for the sink. */
export interface SinkSettings {
  client: S3Client
  /** The client was made from the config, so the sink destroys it when it closes. */
  ownsClient: boolean
  bucket: string
  /** Normalized: `''` or ending in `/`. */
  prefix: string
  skipOnFail: boolean
  apisToSend: string[] | undefined
  concurrency: number | undefined
  clock: Clock | undefined
  retryFor: number
  ifNoneMatch: boolean
  template: KeyTemplate | undefined
  /** `null`: one object per Run. */
  batched: BatchOptions | null
}

const ROOT = 'config'
/** Every field of {@link S3SinkConfig}; `satisfies` makes tsc refuse a new field that is not listed here. */
export const SINK_CONFIG_FIELDS: readonly string[] = Object.keys({
  type: true, bucket: true, bucketName: true, prefix: true, skipOnFail: true, apisToSend: true, concurrency: true,
  client: true, batched: true, clock: true, retryFor: true, ifNoneMatch: true, keyTemplate: true, timeZone: true, ...Object.fromEntries(CONNECTION_FIELDS.map((f) => [f, true])) as Record<typeof CONNECTION_FIELDS[number], true>
} satisfies Record<keyof S3SinkConfig, true>)
const KNOWN = SINK_CONFIG_FIELDS
const WINDOW_FIELDS = ['windowMs', 'maxBytes', 'maxRecords']
const COMPRESSION_FIELDS = ['compression', 'level', 'threads']
const LAYOUT_FIELDS = ['timeOf', 'allowedLatenessMs', 'maxOpenPartitions']
const BATCH_FIELDS = [...WINDOW_FIELDS, ...COMPRESSION_FIELDS, ...LAYOUT_FIELDS, 'encodingHeader', 'manifests']
const SECRETS = new Set(['secretAccessKey', 'sessionToken'])
const NUMBERS = new Set(['concurrency', 'maxAttempts', 'requestTimeout', 'socketTimeout', 'connectionTimeout', 'retryFor', ...WINDOW_FIELDS, 'level', 'threads',
  'allowedLatenessMs', 'maxOpenPartitions'])
const BOOLEANS = new Set(['skipOnFail', 'forcePathStyle', 'encodingHeader', 'ifNoneMatch'])

/** Collects issues instead of stopping at the first one. */
class Issues {
  readonly list: ConfigIssue[] = []

  add (path: string, problem: ConfigIssue['problem'], message: string): void {
    if (this.list.some((issue) => issue.path === path)) return
    // A wrong secret is reported by name only: the helpers print numbers and booleans.
    this.list.push({ path, problem, message: SECRETS.has(path) ? 'must be a non-empty string' : message })
  }

  /**
   * Runs validate helpers (or a factory that uses them); an
   * `InvalidOptionError` becomes an issue at the option it names, under
   * `under` when a stage named it (`options.level` → `batched.level`).
   */
  check<T> (value: unknown, run: () => T, problem = problemOf, under = ''): T | undefined {
    try {
      return run()
    } catch (err) {
      if (!(err instanceof InvalidOptionError)) throw err
      const path = under + err.option.replace(/^(config|options)\./, '')
      this.add(path, problem(path, value), err.message.slice(err.option.length + 1))
      return undefined
    }
  }
}

/** Right type but unusable value → `invalid`; anything else → `type`. */
function problemOf (path: string, value: unknown): ConfigIssue['problem'] {
  const field = path.replace(/^\w+\./, '').replace(/\[\d+\]$/, '')
  const expected = NUMBERS.has(field) ? 'number' : BOOLEANS.has(field) ? 'boolean' : field === 'clock' ? 'object' : 'string'
  return typeof value === expected && value !== null ? 'invalid' : 'type'
}

/**
 * Checks a sink config and reports every problem at once as a `ConfigError`
 * (`ERR_S3_SINK_CONFIG`) whose `issues` give each field's path and problem.
 * Secret values never appear in it.
 *
 * @example
 * ```ts
 * const settings = resolveSinkConfig({ type: 's3', bucket: 'runs', region: 'us-west-2', accessKeyId, secretAccessKey })
 * ```
 */
export function resolveSinkConfig (config: unknown): SinkSettings {
  if (config === null || typeof config !== 'object' || Array.isArray(config)) {
    throw new ConfigError([{ path: ROOT, problem: config === undefined ? 'missing' : 'type', message: `must be an object, got ${typeName(config)}` }])
  }
  const cfg = config as Record<string, unknown>
  const issues = new Issues()
  for (const key of Object.keys(cfg)) issues.check(cfg[key], () => { validateKnownKeys({ [key]: true }, ROOT, KNOWN, 'field') }, () => 'unknown')
  if (cfg.type === undefined) issues.add('type', 'missing', 'is required and must be "s3"')
  issues.check(cfg.type, () => validateOneOf(cfg.type, 'config.type', ['s3']))
  const bucket = issues.check(cfg.bucket, () => validateString(cfg.bucket, 'config.bucket'))
  const bucketName = issues.check(cfg.bucketName, () => validateString(cfg.bucketName, 'config.bucketName'))
  if (cfg.bucket === undefined && cfg.bucketName === undefined) issues.add('bucket', 'missing', 'is required (or bucketName)')
  if (bucket !== undefined && bucketName !== undefined && bucket !== bucketName) issues.add('bucketName', 'invalid', 'differs from bucket; give one of them')
  const prefix = issues.check(cfg.prefix, () => normalizePrefix(cfg.prefix, 'config.prefix'))
  const skipOnFail = issues.check(cfg.skipOnFail, () => validateBoolean(cfg.skipOnFail, 'config.skipOnFail'))
  const apisToSend = checkApis(issues, cfg.apisToSend)
  const concurrency = issues.check(cfg.concurrency, () => validateInteger(cfg.concurrency, 'config.concurrency', 1, 256))
  const retryFor = issues.check(cfg.retryFor, () => validateRetryFor(cfg.retryFor, 'config.retryFor'))
  const ifNoneMatch = issues.check(cfg.ifNoneMatch, () => validateBoolean(cfg.ifNoneMatch, 'config.ifNoneMatch'))
  if (cfg.clock !== undefined) {
    // The window stage owns the clock's rules; asking it avoids restating them.
    const clock = cfg.clock as Record<string, unknown>
    issues.check(clock, () => minuteWindow({ clock: clock as unknown as Clock }),
      (path) => path === 'clock' ? 'type' : clock[path.slice('clock.'.length)] === undefined ? 'missing' : 'type')
  }
  const template = issues.check(cfg.keyTemplate, () => resolveKeyTemplate(cfg.keyTemplate, 'config.keyTemplate', cfg.timeZone, 'config.timeZone'))
  const batched = checkBatched(issues, cfg.batched)
  const client = cfg.client === undefined ? connect(issues, cfg) : ownClient(issues, cfg)
  if (issues.list.length > 0 || client === undefined) {
    if (cfg.client === undefined) client?.destroy()
    throw new ConfigError(issues.list)
  }
  return {
    client,
    ownsClient: cfg.client === undefined,
    bucket: (bucket ?? bucketName) as string,
    prefix: prefix ?? '',
    skipOnFail: skipOnFail ?? false,
    apisToSend,
    concurrency,
    clock: cfg.clock as Clock | undefined,
    retryFor: retryFor ?? validateRetryFor(undefined, 'config.retryFor'),
    ifNoneMatch: ifNoneMatch ?? false,
    template,
    batched
  }
}

function checkApis (issues: Issues, value: unknown): string[] | undefined {
  if (value === undefined) return undefined
  if (!Array.isArray(value)) {
    issues.add('apisToSend', 'type', `must be an array of strings, got ${typeName(value)}`)
    return undefined
  }
  if (value.length === 0) issues.add('apisToSend', 'invalid', 'is empty, which would drop every Run; omit it to deliver every API')
  value.forEach((item, i) => issues.check(item, () => validateString(item, `config.apisToSend[${i}]`)))
  return value.every((item) => typeof item === 'string' && item !== '') ? [...(value as string[])] : undefined
}

function checkBatched (issues: Issues, value: unknown): BatchOptions | null {
  if (value === undefined || value === false) return null
  if (value === true) return {}
  if (value === null || typeof value !== 'object' || Array.isArray(value)) {
    issues.add('batched', 'type', `must be true, false or an object of window options, got ${typeName(value)}`)
    return null
  }
  const fields = value as Record<string, unknown>
  for (const key of Object.keys(fields)) {
    issues.check(fields[key], () => { validateKnownKeys({ [key]: true }, 'config.batched', BATCH_FIELDS, 'field') }, () => 'unknown')
  }
  const options: Record<string, unknown> = {}
  for (const field of WINDOW_FIELDS) {
    if (fields[field] === undefined) continue
    // The stages own these rules; a stage named in the error gives the field.
    const ok = issues.check(fields[field], () => minuteWindow({ [field]: fields[field] }), problemOf, 'batched.')
    if (ok !== undefined) options[field] = fields[field]
  }
  // Checked together: a level's range depends on the compression.
  const chosen: Record<string, unknown> = {}
  for (const field of COMPRESSION_FIELDS) if (fields[field] !== undefined) chosen[field] = fields[field]
  const problem = (path: string): ConfigIssue['problem'] => problemOf(path, fields[path.slice('batched.'.length)])
  if (issues.check(chosen, () => compress(chosen), problem, 'batched.') !== undefined) Object.assign(options, chosen)
  // Checked together too: lateness needs timeOf.
  const layout: Record<string, unknown> = {}
  for (const field of LAYOUT_FIELDS) if (fields[field] !== undefined) layout[field] = fields[field]
  if (issues.check(layout, () => minuteWindow(layout), (path) => problemOf(path, fields[path.slice('batched.'.length)]), 'batched.') !== undefined) Object.assign(options, layout)
  if (fields.manifests !== undefined && issues.check(fields.manifests, () => resolveManifests(fields.manifests, 'config.batched.manifests')) !== undefined) options.manifests = fields.manifests
  const encodingHeader = issues.check(fields.encodingHeader, () => validateBoolean(fields.encodingHeader, 'config.batched.encodingHeader'))
  if (encodingHeader !== undefined) options.encodingHeader = encodingHeader
  return options as BatchOptions
}

/**
 * createS3Client() stops at the first bad field; asking again without the
 * field it named reports them all without restating its rules here. No
 * connection field is required: without keys and region the SDK's default
 * chains apply (environment, profile, SSO, web identity, ECS/EC2 roles).
 */
function connect (issues: Issues, cfg: Record<string, unknown>): S3Client | undefined {
  // Half a key pair is a mistake whatever the given half holds.
  if ((cfg.accessKeyId === undefined) !== (cfg.secretAccessKey === undefined)) {
    issues.add(cfg.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey', 'missing', 'is required when the other half of the key pair is given')
  }
  const trial: Record<string, unknown> = {}
  for (const field of CONNECTION_FIELDS) if (cfg[field] !== undefined) trial[field] = cfg[field]
  for (;;) {
    const before = Object.keys(trial).length
    let named = ''
    const client = issues.check(undefined, () => createUploadClient(trial, ROOT), (path) => { named = path; return cfg[path] === undefined ? 'missing' : problemOf(path, cfg[path]) })
    if (client !== undefined) return client
    // The key-pair rule names a field that is absent: drop the pair instead.
    if (named in trial) delete trial[named]
    else { delete trial.accessKeyId; delete trial.secretAccessKey; delete trial.sessionToken }
    if (Object.keys(trial).length === before) return undefined
  }
}

function ownClient (issues: Issues, cfg: Record<string, unknown>): S3Client | undefined {
  const client = cfg.client as { send?: unknown } | null
  if (typeof client?.send !== 'function') issues.add('client', 'type', `must be an S3Client, got ${typeName(client)}`)
  for (const field of CONNECTION_FIELDS) {
    if (cfg[field] !== undefined) issues.add(field, 'invalid', 'cannot be combined with client; configure your client instead')
  }
  return cfg.client as S3Client
}
