import { InvalidOptionError } from '../errors.js'
import { MAX_TIMER_MS } from '../clock.js'
import { COMPRESSIONS, type Compression } from '../internal/compression.js'
import { validateInteger, validateOneOf } from '../internal/validate.js'
import { BATCH_ONLY, S3_ONLY, parseFlags, type Values } from './cli-flags.js'
import type { CliOptions } from './cli-options.js'
import { connectionOf } from './connection-args.js'
import { parseDuration } from './duration.js'
import { integer, nonEmpty, size } from './flag-values.js'
import { parseLogSource } from './log-source-args.js'
import { objectParamsOf } from './object-params.js'
import { parseRoutes } from './route-args.js'
import { stageFlagsOf } from './stage-args.js'

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
  const parsed = parseFlags(argv)
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
    manifestTemplate: manifestTemplateOf(v),
    concurrency: integer(v.concurrency, '--concurrency'),
    partSize: size(v['part-size'], '--part-size'),
    queueSize: integer(v['queue-size'], '--queue-size'),
    abortTimeout: integer(v['abort-timeout'], '--abort-timeout'),
    retryFor: integer(v['retry-for'], '--retry-for'),
    ifNoneMatch: v['if-none-match'] === true,
    params: objectParamsOf(v),
    onInvalid: onInvalidOf(v),
    routes: parseRoutes(v.route, v),
    ...stageFlagsOf(v, compression),
    shutdownTimeout: validateInteger(integer(v['shutdown-timeout'], '--shutdown-timeout'), '--shutdown-timeout', 1, MAX_TIMER_MS),
    connection: connectionOf(v, env, help || version || v['out-dir'] !== undefined)
  }
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

/** `--manifest-template`: the keys of the manifests --manifests asks for. */
function manifestTemplateOf (v: Values): string | undefined {
  if (v['manifest-template'] !== undefined && v.manifests !== true) throw new InvalidOptionError('--manifest-template', 'needs --manifests')
  return nonEmpty(v['manifest-template'], '--manifest-template')
}

function onInvalidOf (v: Values): CliOptions['onInvalid'] {
  const onInvalid = validateOneOf(v['on-invalid'], '--on-invalid', ['error', 'skip', 'dead-letter'] as const) ?? 'error'
  if (onInvalid === 'dead-letter' && v['per-record'] === true) throw new InvalidOptionError('--on-invalid', 'dead-letter cannot be combined with --per-record (one object per Run has no batch to hold the letters)')
  return onInvalid
}

function rejectWith (v: Values, flags: readonly string[], mode: string): void {
  const clash = flags.find((flag) => v[flag as keyof Values] !== undefined)
  if (clash !== undefined) throw new InvalidOptionError(`--${clash}`, `cannot be combined with ${mode}`)
}

function apiList (values: string[] | undefined): string[] | undefined {
  if (values === undefined) return undefined
  const names = values.flatMap((value) => value.split(',')).map((name) => name.trim())
  if (names.some((name) => name === '')) throw new InvalidOptionError('--apis-to-send', 'must be a comma-separated list of API names, without empty names')
  return names
}
