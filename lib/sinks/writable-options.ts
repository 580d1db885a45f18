import type { S3Client } from '@aws-sdk/client-s3'
import { systemClock } from '../clock.js'
import { InvalidOptionError } from '../errors.js'
import { DEFAULT_MANIFEST_TEMPLATE } from '../internal/manifest-writer.js'
import { normalizePrefix } from '../internal/object-key.js'
import { OptionProblems } from '../internal/option-problems.js'
import { retryPolicyFor, validateRetryFor } from '../internal/retry-options.js'
import type { RetryPolicy } from '../internal/retry-policy.js'
import { CONNECTION_FIELDS } from '../internal/s3-client.js'
import { resolveKeyTemplate } from '../internal/template-key.js'
import { validateBoolean, validateClock, validateInteger, validateKnownKeys, validateObject, validateBucket } from '../internal/validate.js'
import type { KeyTemplate } from '../key-template.js'
import { zoneShifts } from '../internal/date-formatter.js'
import type { ManifestOptions } from './manifest-options.js'
import type { S3WritableOptions } from './s3-writable-options.js'
import { validateUploadParams, type UploadParams } from './upload-params.js'

/** `s3Writable()`'s options once checked and defaulted. */
export interface WritableSettings {
  client: S3Client
  /** The client was built here: the sink destroys it once closed. */
  ownsClient: boolean
  bucket: string
  prefix: string
  partSize: number
  queueSize: number
  concurrency: number
  abortTimeout: number
  params: UploadParams
  encodingHeader: boolean
  retry: RetryPolicy
  template: KeyTemplate | undefined
  manifestTemplate: KeyTemplate | undefined
}

const MIN_PART_SIZE = 5 * 1024 * 1024
const DEFAULTS = Object.freeze({ partSize: MIN_PART_SIZE, queueSize: 4, concurrency: 2, abortTimeout: 10_000 })
const OWN_FIELDS = [
  'type', 'bucket', 'bucketName', 'prefix', 'client', 'partSize', 'queueSize', 'concurrency', 'abortTimeout', 'params', 'encodingHeader',
  'retryFor', 'ifNoneMatch', 'clock', 'keyTemplate', 'timeZone', 'manifests'
] as const
// The sink config may be passed as is (`filterApis(cfg)` ... `s3Writable(cfg)`):
// its filter and window fields belong to the stages before this one.
const SINK_ONLY_FIELDS = ['skipOnFail', 'apisToSend', 'batched'] as const

/**
 * Checks every option of `s3Writable()` and throws one `InvalidOptionError`
 * naming every problem (unknown options with their nearest known name). The
 * client is built last, only when everything else is good.
 *
 * @example
 * ```ts
 * const settings = resolveWritableOptions({ bucket: 'logs', region: 'us-west-2' })
 * ```
 */
export function resolveWritableOptions (options: S3WritableOptions): WritableSettings {
  validateObject(options, 'options')
  if (options === undefined) throw new InvalidOptionError('options', 'is required (at least a bucket)')
  const problems = new OptionProblems()
  const check = problems.check.bind(problems)
  problems.unknownKeys(options, 'options', [...OWN_FIELDS, ...SINK_ONLY_FIELDS, ...CONNECTION_FIELDS])
  if (options.type !== undefined && options.type !== 's3') problems.add('options.type', 'must be "s3" when given')
  const bucket = check(() => validateBucket(options.bucket, 'options.bucket'))
  const bucketName = check(() => validateBucket(options.bucketName, 'options.bucketName'))
  if (options.bucket === undefined && options.bucketName === undefined) problems.add('options.bucket', 'is required (or options.bucketName)')
  if (bucket !== undefined && bucketName !== undefined && bucket !== bucketName) problems.add('options.bucketName', 'differs from options.bucket; give one of them')
  const params = check(() => validateUploadParams(options.params, 'options.params'))
  const ifNoneMatch = check(() => validateBoolean(options.ifNoneMatch, 'options.ifNoneMatch'))
  const retryFor = check(() => validateRetryFor(options.retryFor, 'options.retryFor'))
  const clock = check(() => validateClock(options.clock, 'options.clock'))
  const prefix = check(() => normalizePrefix(options.prefix, 'options.prefix'))
  const partSize = check(() => validateInteger(options.partSize, 'options.partSize', MIN_PART_SIZE, 5 * 1024 ** 3))
  const queueSize = check(() => validateInteger(options.queueSize, 'options.queueSize', 1, 64))
  const concurrency = check(() => validateInteger(options.concurrency, 'options.concurrency', 1, 256))
  const abortTimeout = check(() => validateInteger(options.abortTimeout, 'options.abortTimeout', 0))
  const encodingHeader = check(() => validateBoolean(options.encodingHeader, 'options.encodingHeader'))
  const template = check(() => resolveKeyTemplate(options.keyTemplate, 'options.keyTemplate', options.timeZone, 'options.timeZone'))
  const manifestTemplate = check(() => resolveManifests(options.manifests, 'options.manifests'))
  // Last: a client holds sockets, and is built only when nothing else is wrong.
  const client = options.client === undefined ? problems.connect(options, 'options', CONNECTION_FIELDS) : ownClient(problems, options)
  problems.throwIfAny()
  const s3 = client as S3Client
  return {
    client: s3,
    ownsClient: options.client === undefined,
    bucket: (bucket ?? bucketName) as string,
    prefix: prefix ?? '',
    partSize: partSize ?? DEFAULTS.partSize,
    queueSize: queueSize ?? DEFAULTS.queueSize,
    concurrency: concurrency ?? DEFAULTS.concurrency,
    abortTimeout: abortTimeout ?? DEFAULTS.abortTimeout,
    params: ifNoneMatch === true ? { ...params, IfNoneMatch: '*' } : { ...params },
    encodingHeader: encodingHeader ?? true,
    retry: retryPolicyFor(s3, retryFor ?? validateRetryFor(undefined, 'options.retryFor'), clock ?? systemClock),
    template,
    manifestTemplate
  }
}

/** `satisfies` makes tsc refuse a new field of {@link ManifestOptions} that is not listed here. */
const MANIFEST_FIELDS = Object.keys({ keyTemplate: true, timeZone: true } satisfies Record<keyof ManifestOptions, true>)

/**
 * `manifests`: `true`, or {@link ManifestOptions}; the template of manifest
 * keys. A template without `{id}` in a zone with daylight saving is refused:
 * in the hour the clocks go back, two windows' manifests would get one key
 * and the second would replace the first.
 */
export function resolveManifests (value: unknown, name: string): KeyTemplate | undefined {
  if (value === undefined || value === false) return undefined
  if (value === true) return resolveKeyTemplate(DEFAULT_MANIFEST_TEMPLATE, `${name}.keyTemplate`, undefined, `${name}.timeZone`, false)
  validateObject(value, name)
  validateKnownKeys(value as Record<string, unknown>, name, MANIFEST_FIELDS)
  const { keyTemplate, timeZone } = value as { keyTemplate?: unknown, timeZone?: unknown }
  const template = resolveKeyTemplate(keyTemplate ?? DEFAULT_MANIFEST_TEMPLATE, `${name}.keyTemplate`, timeZone, `${name}.timeZone`, false)
  if (template !== undefined && template.timeZone !== 'UTC' && !template.source.includes('{id}') && zoneShifts(template.timeZone)) {
    throw new InvalidOptionError(`${name}.keyTemplate`, `must contain {id} with ${name}.timeZone "${template.timeZone}": its offset from UTC changes around this year (daylight saving), and when its clocks go back two windows of the repeated hour would get the same manifest key`)
  }
  return template
}

/** A client of the caller's: it must look like one, and no connection field may come with it. */
export function ownClient (problems: OptionProblems, options: { client?: unknown }): S3Client {
  if (typeof (options.client as { send?: unknown } | null)?.send !== 'function') problems.add('options.client', 'must be an S3Client')
  for (const field of CONNECTION_FIELDS) {
    if ((options as Record<string, unknown>)[field] !== undefined) problems.add(`options.${field}`, 'cannot be combined with options.client; configure your client instead')
  }
  return options.client as S3Client
}
