import { parseArgs } from 'node:util'
import { InvalidOptionError } from '../errors.js'
import { MAX_TIMER_MS } from '../clock.js'
import type { S3ConnectionOptions } from '../internal/s3-client.js'
import { COMPRESSIONS, type Compression } from '../internal/compression.js'
import { nearestName, validateInteger, validateOneOf } from '../internal/validate.js'
import { STORE_NAMES, STORE_PROFILES } from '../store-profiles.js'
import type { UploadParams } from '../sinks/s3-writable.js'
import { OBJECT_PARAM_FLAGS, objectParamsOf } from './object-params.js'
import { parseDuration } from './duration.js'
import { LOG_SOURCE_FLAGS, parseLogSource, type LogSourceCli } from './log-source-args.js'
import { byteSize } from './byte-size.js'
import { parseRoutes, type CliRoute } from './route-args.js'

/** What the command line asks for, typed; ranges are checked by the stages themselves. */
export interface CliOptions {
  help: boolean
  version: boolean
  /** Input files; empty or `-` means standard input. */
  files: string[]
  /** Write files under this directory instead of S3. */
  outDir?: string
  /** One `.json` object per Run instead of batches. */
  perRecord: boolean
  bucket?: string
  prefix?: string
  apisToSend?: string[]
  skipOnFail: boolean
  /** From --compression (or --no-gzip); default gzip. */
  compression: Compression
  /** From --compression-level (or its gzip alias --gzip-level). */
  level?: number
  /** From --gzip-threads. */
  threads?: number
  /** `false` with --no-content-encoding. */
  encodingHeader: boolean
  windowMs?: number
  maxBytes?: number
  maxRecords?: number
  /** Close batches on the window's timer (`--no-close-on-time` turns it off; `--stable-keys` implies that). */
  closeOnTime: boolean
  /** Keys made of the batch's first source position (a file's `name:line` when the source gives none). */
  stableKeys: boolean
  /** `--key-template`: checked by the stages, where it is parsed once. */
  keyTemplate?: string
  timeZone?: string
  /** `--time-field PATH`: windows by the event time in that field. */
  timeField?: string
  allowedLatenessMs?: number
  maxOpenPartitions?: number
  manifests: boolean
  concurrency?: number
  partSize?: number
  queueSize?: number
  abortTimeout?: number
  /** How long a failing request is retried, in ms from its first failure. */
  retryFor?: number
  /** Conditional writes: `If-None-Match: *`. */
  ifNoneMatch: boolean
  /** `--storage-class`, `--sse`, `--tag`, ...: the params of every object. */
  params?: UploadParams
  /** A line that is not a JSON object: fail (default), skip it, or dead-letter it (batches only). */
  onInvalid: 'error' | 'skip' | 'dead-letter'
  /** After SIGTERM or SIGINT, how long delivering what was read may take, in ms. */
  shutdownTimeout?: number
  /**
   * The S3 connection, flags over `AWS_*` variables. A function, so that
   * printing the options (`util.inspect`) never shows a secret.
   */
  connection: () => S3ConnectionOptions
  /** Read from a log's consumer group (`--source`) instead of files. */
  logSource?: LogSourceCli
  /** `--route`, repeated: each record to the first route that takes it. */
  routes?: CliRoute[]
}

const STRING = { type: 'string' } as const
const BOOLEAN = { type: 'boolean' } as const
/** Flags named after the config fields they set (`--bucket-name` → `bucketName`). */
const FLAGS = {
  help: { type: 'boolean', short: 'h' },
  version: BOOLEAN,
  'out-dir': STRING,
  'per-record': BOOLEAN,
  bucket: STRING,
  'bucket-name': STRING,
  region: STRING,
  'access-key-id': STRING,
  'secret-access-key': STRING,
  'session-token': STRING,
  endpoint: STRING,
  'force-path-style': BOOLEAN,
  prefix: STRING,
  'apis-to-send': { type: 'string', multiple: true },
  'skip-on-fail': BOOLEAN,
  'no-gzip': BOOLEAN,
  'gzip-level': STRING,
  compression: STRING,
  'compression-level': STRING,
  'gzip-threads': STRING,
  'no-content-encoding': BOOLEAN,
  'window-ms': STRING,
  window: STRING,
  'max-bytes': STRING,
  'max-records': STRING,
  'no-close-on-time': BOOLEAN,
  'stable-keys': BOOLEAN,
  'key-template': STRING,
  'time-zone': STRING,
  'time-field': STRING,
  'allowed-lateness-ms': STRING,
  'max-open-partitions': STRING,
  manifests: BOOLEAN,
  concurrency: STRING,
  'part-size': STRING,
  'queue-size': STRING,
  'abort-timeout': STRING,
  'max-attempts': STRING,
  'request-timeout': STRING,
  'socket-timeout': STRING,
  'connection-timeout': STRING,
  'retry-for': STRING,
  'if-none-match': BOOLEAN,
  'shutdown-timeout': STRING,
  store: STRING,
  'on-invalid': STRING,
  route: { type: 'string', multiple: true },
  ...OBJECT_PARAM_FLAGS,
  ...LOG_SOURCE_FLAGS
} as const

type Values = ReturnType<typeof parse>['values']

/** Flags that only make sense with S3, rejected with `--out-dir`. */
const S3_ONLY = ['bucket', 'bucket-name', 'region', 'store', 'access-key-id', 'secret-access-key', 'session-token', 'endpoint',
  'force-path-style', 'no-content-encoding', 'part-size', 'queue-size', 'abort-timeout', 'max-attempts', 'request-timeout', 'socket-timeout',
  'connection-timeout', 'retry-for', 'if-none-match', 'manifests', ...Object.keys(OBJECT_PARAM_FLAGS)] as const
/** Flags that only make sense for batches, rejected with `--per-record` (a Run is one small PutObject). */
const BATCH_ONLY = ['no-gzip', 'gzip-level', 'compression', 'compression-level', 'gzip-threads', 'no-content-encoding', 'window-ms', 'window', 'max-bytes', 'max-records', 'no-close-on-time', 'stable-keys', 'part-size', 'queue-size', 'abort-timeout',
  'time-field', 'allowed-lateness-ms', 'max-open-partitions', 'manifests'] as const

function parse (argv: string[]): ReturnType<typeof parseArgs<{ options: typeof FLAGS, allowPositionals: true, strict: true }>> {
  return parseArgs({ args: argv, options: FLAGS, allowPositionals: true, strict: true })
}

/**
 * Turns `argv` (without `node` and the script) into {@link CliOptions}, with
 * the standard `AWS_*` variables of `env` as fallback for the connection.
 * Throws `InvalidOptionError` naming the flag (`.option === '--window-ms'`)
 * for anything unusable; messages never contain a flag's value.
 *
 * @example
 * ```ts
 * const options = parseCliArgs(['--bucket', 'logs', '--window-ms', '10000', 'runs.ndjson'], process.env)
 * ```
 */
export function parseCliArgs (argv: string[], env: NodeJS.ProcessEnv): CliOptions {
  let parsed: ReturnType<typeof parse>
  try {
    parsed = parse(argv)
  } catch (err) {
    throw fromParseArgs(err)
  }
  const v = parsed.values
  if (v['out-dir'] !== undefined) rejectWith(v, S3_ONLY, '--out-dir')
  if (v['per-record'] === true) rejectWith(v, BATCH_ONLY, '--per-record')
  const compression = compressionOf(v)
  if (v.bucket !== undefined && v['bucket-name'] !== undefined && v.bucket !== v['bucket-name']) {
    throw new InvalidOptionError('--bucket-name', 'differs from --bucket; give one of them')
  }
  const bucket = v.bucket ?? v['bucket-name']
  const help = v.help === true
  const version = v.version === true
  if (!help && !version && v['out-dir'] === undefined && bucket === undefined) {
    throw new InvalidOptionError('--bucket', 'is required (or --out-dir DIR to write files instead of S3)')
  }
  return {
    help,
    version,
    files: parsed.positionals,
    logSource: parseLogSource(v, parsed.positionals),
    outDir: nonEmpty(v['out-dir'], '--out-dir'),
    perRecord: v['per-record'] === true,
    bucket: nonEmpty(bucket, v.bucket === undefined ? '--bucket-name' : '--bucket'),
    prefix: v.prefix,
    apisToSend: apiList(v['apis-to-send']),
    skipOnFail: v['skip-on-fail'] === true,
    compression,
    // --gzip-level keeps its own name in errors: its range is gzip's.
    level: integer(v['compression-level'], '--compression-level') ?? validateInteger(integer(v['gzip-level'], '--gzip-level'), '--gzip-level', 0, 9),
    threads: integer(v['gzip-threads'], '--gzip-threads'),
    encodingHeader: v['no-content-encoding'] !== true,
    windowMs: windowOf(v),
    maxBytes: size(v['max-bytes'], '--max-bytes'),
    maxRecords: integer(v['max-records'], '--max-records'),
    closeOnTime: v['no-close-on-time'] !== true && v['stable-keys'] !== true,
    stableKeys: v['stable-keys'] === true,
    keyTemplate: nonEmpty(v['key-template'], '--key-template'),
    timeZone: v['time-zone'],
    timeField: nonEmpty(v['time-field'], '--time-field'),
    allowedLatenessMs: integer(v['allowed-lateness-ms'], '--allowed-lateness-ms'),
    maxOpenPartitions: integer(v['max-open-partitions'], '--max-open-partitions'),
    manifests: v.manifests === true,
    concurrency: integer(v.concurrency, '--concurrency'),
    partSize: size(v['part-size'], '--part-size'),
    queueSize: integer(v['queue-size'], '--queue-size'),
    abortTimeout: integer(v['abort-timeout'], '--abort-timeout'),
    retryFor: integer(v['retry-for'], '--retry-for'),
    ifNoneMatch: v['if-none-match'] === true,
    params: objectParamsOf(v),
    onInvalid: onInvalidOf(v),
    routes: parseRoutes(v.route, v),
    shutdownTimeout: validateInteger(integer(v['shutdown-timeout'], '--shutdown-timeout'), '--shutdown-timeout', 1, MAX_TIMER_MS),
    connection: connectionOf(v, env, help || version || v['out-dir'] !== undefined)
  }
}

function connectionOf (v: Values, env: NodeJS.ProcessEnv, unused: boolean): () => S3ConnectionOptions {
  const region = v.region ?? envValue(env, 'AWS_REGION') ?? envValue(env, 'AWS_DEFAULT_REGION')
  const store = v.store === undefined ? undefined : validateOneOf(v.store, '--store', STORE_NAMES)
  // A store whose profile has a region (r2 and gcs: auto) needs none from the user.
  if (!unused && region === undefined && STORE_PROFILES[store ?? 'aws'].region === undefined) throw new InvalidOptionError('--region', 'is required (or set AWS_REGION)')
  // Credentials come whole from the flags or whole from the environment: a
  // session token of one identity must never be paired with another's keys.
  const fromFlags = v['access-key-id'] !== undefined || v['secret-access-key'] !== undefined
  const accessKeyId = fromFlags ? v['access-key-id'] : envValue(env, 'AWS_ACCESS_KEY_ID')
  const secretAccessKey = fromFlags ? v['secret-access-key'] : envValue(env, 'AWS_SECRET_ACCESS_KEY')
  const sessionToken = fromFlags ? v['session-token'] : v['session-token'] ?? envValue(env, 'AWS_SESSION_TOKEN')
  const endpoint = v.endpoint ?? envValue(env, 'AWS_ENDPOINT_URL_S3') ?? envValue(env, 'AWS_ENDPOINT_URL')
  const numbers = {
    maxAttempts: integer(v['max-attempts'], '--max-attempts'),
    requestTimeout: integer(v['request-timeout'], '--request-timeout'),
    socketTimeout: integer(v['socket-timeout'], '--socket-timeout'),
    connectionTimeout: integer(v['connection-timeout'], '--connection-timeout')
  }
  return () => ({
    region,
    accessKeyId,
    secretAccessKey,
    sessionToken,
    endpoint,
    forcePathStyle: v['force-path-style'],
    ...(store === undefined ? {} : { store }),
    ...numbers
  })
}

/** --compression, with --no-gzip and the gzip-only flags as its older or narrower spellings. */
function compressionOf (v: Values): Compression {
  const named = v.compression === undefined ? undefined : validateOneOf(v.compression, '--compression', COMPRESSIONS)
  if (v['no-gzip'] === true && named !== undefined && named !== 'none') throw new InvalidOptionError('--no-gzip', 'cannot be combined with --compression ' + named)
  const compression = named ?? (v['no-gzip'] === true ? 'none' : 'gzip')
  if (v['gzip-level'] !== undefined && v['compression-level'] !== undefined) throw new InvalidOptionError('--gzip-level', 'cannot be combined with --compression-level')
  for (const flag of ['gzip-level', 'gzip-threads'] as const) {
    if (v[flag] !== undefined && compression !== 'gzip') throw new InvalidOptionError(`--${flag}`, v['no-gzip'] === true ? 'cannot be combined with --no-gzip' : `applies to gzip only, not --compression ${compression}`)
  }
  return compression
}

/** `--window 5m`, or `--window-ms 300000`: one of the two. */
function windowOf (v: Values): number | undefined {
  if (v.window === undefined) return integer(v['window-ms'], '--window-ms')
  if (v['window-ms'] !== undefined) throw new InvalidOptionError('--window', 'cannot be combined with --window-ms (give one of them)')
  return parseDuration(v.window, '--window')
}

function onInvalidOf (v: Values): CliOptions['onInvalid'] {
  const onInvalid = validateOneOf(v['on-invalid'], '--on-invalid', ['error', 'skip', 'dead-letter'] as const) ?? 'error'
  if (onInvalid === 'dead-letter' && v['per-record'] === true) throw new InvalidOptionError('--on-invalid', 'dead-letter cannot be combined with --per-record (one object per Run has no batch to hold the letters)')
  return onInvalid
}

function envValue (env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}

function rejectWith (v: Values, flags: readonly string[], mode: string): void {
  const clash = flags.find((flag) => v[flag as keyof Values] !== undefined)
  if (clash !== undefined) throw new InvalidOptionError(`--${clash}`, `cannot be combined with ${mode}`)
}

function nonEmpty (value: string | undefined, flag: string): string | undefined {
  if (value === '') throw new InvalidOptionError(flag, 'must not be empty')
  return value
}

function apiList (values: string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined
  const names = values.flatMap((value) => value.split(',')).map((name) => name.trim())
  if (names.some((name) => name === '')) throw new InvalidOptionError('--apis-to-send', 'must be a comma-separated list of API names, without empty names')
  return names
}

function integer (value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined
  if (!/^\d+$/.test(value)) throw new InvalidOptionError(flag, 'must be a whole number')
  return Number(value)
}

/** Byte sizes: `1048576`, `64KiB`, `8MiB`, `1GiB` (or `k`, `m`, `g`; all powers of 1024). */
function size (value: string | undefined, flag: string): number | undefined {
  return value === undefined ? undefined : byteSize(value, flag)
}

/** parseArgs' own errors, reworded around the flag alone: never around a value. */
function fromParseArgs (err: unknown): Error {
  const code = (err as { code?: string }).code
  const flag = /'(-[^' ]*)/.exec((err as Error).message)?.[1] ?? 'arguments'
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    // A flag's name only: `--buket=secret` must not echo what follows the `=`.
    const name = flag.replace(/^-+/, '').split('=')[0] ?? ''
    const near = nearestName(name, Object.keys(FLAGS))
    return new InvalidOptionError(flag.split('=')[0] ?? flag, near === undefined ? 'is not a known option (see --help)' : `is not a known option; did you mean --${near}? (see --help)`)
  }
  if (code === 'ERR_PARSE_ARGS_INVALID_OPTION_VALUE') {
    const takes = (FLAGS as Record<string, { type: string }>)[flag.replace(/^-+/, '')]?.type === 'string'
    return new InvalidOptionError(flag, takes ? 'needs a value (write --flag=-value for one that starts with "-")' : 'takes no value')
  }
  return new InvalidOptionError('arguments', 'cannot be parsed (see --help)')
}
