import { parseArgs } from 'node:util'
import { InvalidOptionError } from '../errors.js'
import { nearestName } from '../internal/validate.js'
import { LOG_SOURCE_FLAGS } from './log-source-args.js'
import { OBJECT_PARAM_FLAGS } from './object-params.js'

const STRING = { type: 'string' } as const
const BOOLEAN = { type: 'boolean' } as const
/** Flags named after the config fields they set (`--bucket-name` → `bucketName`). */
export const FLAGS = {
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
  'on-late': STRING,
  'idle-timeout-ms': STRING,
  'chunk-size': STRING,
  'block-size': STRING,
  'gzip-chunk-size': STRING,
  unmatched: STRING,
  manifests: BOOLEAN,
  'manifest-template': STRING,
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

/** The parsed flags, by name. */
export type Values = ReturnType<typeof parseFlags>['values']

/** Flags that only make sense with S3, rejected with `--out-dir`. */
export const S3_ONLY = ['bucket', 'bucket-name', 'region', 'store', 'access-key-id', 'secret-access-key', 'session-token', 'endpoint',
  'force-path-style', 'no-content-encoding', 'part-size', 'queue-size', 'abort-timeout', 'max-attempts', 'request-timeout', 'socket-timeout',
  'connection-timeout', 'retry-for', 'if-none-match', 'manifests', 'manifest-template', ...Object.keys(OBJECT_PARAM_FLAGS)] as const
/** Flags that only make sense for batches, rejected with `--per-record` (a Run is one small PutObject). */
export const BATCH_ONLY = ['no-gzip', 'gzip-level', 'compression', 'compression-level', 'gzip-threads', 'no-content-encoding', 'window-ms', 'window', 'max-bytes', 'max-records', 'no-close-on-time', 'stable-keys', 'part-size', 'queue-size', 'abort-timeout',
  'time-field', 'allowed-lateness-ms', 'max-open-partitions', 'manifests', 'manifest-template', 'on-late', 'idle-timeout-ms', 'chunk-size', 'block-size', 'gzip-chunk-size'] as const

/**
 * `argv` split by the flag table; `parseArgs`' own errors reworded around the
 * flag alone (an unknown one with the nearest known name), never around a value.
 *
 * @example
 * ```ts
 * const { values, positionals } = parseFlags(['--bucket', 'logs', 'runs.ndjson'])
 * ```
 */
export function parseFlags (argv: string[]): ReturnType<typeof parseArgs<{ options: typeof FLAGS, allowPositionals: true, strict: true }>> {
  try {
    return parseArgs({ args: argv, options: FLAGS, allowPositionals: true, strict: true })
  } catch (err) {
    throw fromParseArgs(err)
  }
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
