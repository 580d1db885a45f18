import type { S3Client } from '@aws-sdk/client-s3'
import type { Clock } from '../clock.js'
import { ConfigError } from '../errors.js'
import { checkBatched } from '../internal/batch-config.js'
import { Issues } from '../internal/config-issues.js'
import { normalizePrefix } from '../internal/object-key.js'
import { checkRoutes, type RouteSettings } from '../internal/route-config.js'
import { sinkClient } from '../internal/sink-client.js'
import { validateRetryFor } from '../internal/retry-options.js'
import {
  typeName, validateBoolean, validateBucket, validateInteger, validateKnownKeys, validateOneOf, validateString
} from '../internal/validate.js'
import type { BatchOptions } from './batch-options.js'
import { resolveKeyTemplate } from '../internal/template-key.js'
import type { KeyTemplate } from '../key-template.js'
import { validateUploadParams, type UploadParams } from './upload-params.js'
import { minuteWindow } from '../stages/minute-window.js'
import { SINK_CONFIG_FIELDS } from './s3-sink-config.js'

export type { BatchOptions } from './batch-options.js'
export type { SinkRoute } from './sink-route.js'
export { SINK_CONFIG_FIELDS, type S3SinkConfig } from './s3-sink-config.js'

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
  /** Extra parameters of every object (a copy). */
  params: UploadParams
  template: KeyTemplate | undefined
  /** `null`: one object per Run. */
  batched: BatchOptions | null
  /** `undefined`: not routed. */
  routes: RouteSettings[] | undefined
  /** With `routes`: a Run no route takes. */
  unmatched: 'error' | 'drop'
}

const ROOT = 'config'
const KNOWN = SINK_CONFIG_FIELDS

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
  const bucket = issues.check(cfg.bucket, () => validateBucket(cfg.bucket, 'config.bucket'))
  const bucketName = issues.check(cfg.bucketName, () => validateBucket(cfg.bucketName, 'config.bucketName'))
  if (cfg.bucket === undefined && cfg.bucketName === undefined) issues.add('bucket', 'missing', 'is required (or bucketName)')
  if (bucket !== undefined && bucketName !== undefined && bucket !== bucketName) issues.add('bucketName', 'invalid', 'differs from bucket; give one of them')
  const prefix = issues.check(cfg.prefix, () => normalizePrefix(cfg.prefix, 'config.prefix'))
  const skipOnFail = issues.check(cfg.skipOnFail, () => validateBoolean(cfg.skipOnFail, 'config.skipOnFail'))
  const apisToSend = checkApis(issues, cfg.apisToSend)
  const concurrency = issues.check(cfg.concurrency, () => validateInteger(cfg.concurrency, 'config.concurrency', 1, 256))
  const retryFor = issues.check(cfg.retryFor, () => validateRetryFor(cfg.retryFor, 'config.retryFor'))
  const ifNoneMatch = issues.check(cfg.ifNoneMatch, () => validateBoolean(cfg.ifNoneMatch, 'config.ifNoneMatch'))
  const params = issues.check(cfg.params, () => validateUploadParams(cfg.params, 'config.params'), (path) => path === 'params' ? 'type' : 'invalid')
  if (cfg.clock !== undefined) {
    // The window stage owns the clock's rules; asking it avoids restating them.
    const clock = cfg.clock as Record<string, unknown>
    issues.check(clock, () => minuteWindow({ clock: clock as unknown as Clock }),
      (path) => path === 'clock' ? 'type' : clock[path.slice('clock.'.length)] === undefined ? 'missing' : 'type')
  }
  const template = issues.check(cfg.keyTemplate, () => resolveKeyTemplate(cfg.keyTemplate, 'config.keyTemplate', cfg.timeZone, 'config.timeZone'))
  const batched = checkBatched(issues, cfg.batched, 'batched')
  const routes = checkRoutes(issues, cfg.routes)
  const unmatched = issues.check(cfg.unmatched, () => validateOneOf(cfg.unmatched, 'config.unmatched', ['error', 'drop'] as const))
  if (cfg.unmatched !== undefined && cfg.routes === undefined) issues.add('unmatched', 'invalid', 'needs routes: only a Run no route takes is unmatched')
  if (cfg.routes !== undefined) {
    for (const field of ['batched', 'keyTemplate', 'timeZone']) {
      if (cfg[field] !== undefined) issues.add(field, 'invalid', `cannot be combined with routes: set it per route (routes[i].${field})`)
    }
  }
  const client = sinkClient(issues, cfg)
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
    params: { ...params },
    template,
    batched,
    routes,
    unmatched: unmatched ?? 'error'
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
