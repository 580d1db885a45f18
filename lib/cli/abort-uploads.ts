import { abortIncompleteUploads } from '../admin/abort-incomplete-uploads.js'
import type { AbortIncompleteUploadsResult } from '../admin/abort-incomplete-uploads-result.js'
import { InvalidOptionError, ListUploadsError, describe } from '../errors.js'
import { normalizePrefix } from '../internal/object-key.js'
import { parseCliArgs } from './args.js'
import { parseDuration } from './duration.js'
import { asFlags } from './flag-errors.js'

/** The flags `s3-sink abort-uploads` shares with the sink: the connection, the bucket, the prefix and how many aborts at once. */
const SHARED_FLAGS = new Set(['bucket', 'bucket-name', 'region', 'endpoint', 'force-path-style', 'access-key-id', 'secret-access-key',
  'session-token', 'max-attempts', 'request-timeout', 'socket-timeout', 'connection-timeout', 'store', 'prefix', 'concurrency'])

/** Every flag it takes: those and its own, `--older-than DURATION` (required) and `--dry-run`. */
export const ABORT_UPLOADS_FLAGS: readonly string[] = [...SHARED_FLAGS, 'older-than', 'dry-run']

/** The longest `--older-than`: ages are not timers, so years are fine (10 years). */
const MAX_AGE_MS = 10 * 365 * 86_400_000

/**
 * `s3-sink abort-uploads`: {@link abortIncompleteUploads} from the command
 * line, with the sink's connection flags. Prints one line per upload aborted
 * (or that would be, with `--dry-run`) and per abort that failed, then a
 * summary. Resolves with the exit code: 0 when every due upload was aborted,
 * 1 when an abort or the listing failed, 2 for a usage error (thrown as
 * `ERR_INVALID_OPTION` naming the flag).
 *
 * @example
 * ```ts
 * const code = await runAbortUploads(['--bucket', 'logs', '--prefix', 'runs', '--older-than', '1d'], process.env, (t) => process.stdout.write(t))
 * ```
 */
export async function runAbortUploads (argv: string[], env: NodeJS.ProcessEnv, write: (text: string) => void): Promise<number> {
  const { rest, olderThan, dryRun } = ownFlags(argv)
  for (const arg of rest) {
    const flag = /^--?([^=]+)/.exec(arg)?.[1]
    if (flag !== undefined && !SHARED_FLAGS.has(flag)) throw new InvalidOptionError(`--${flag}`, 'is not an abort-uploads option (see --help)')
  }
  if (olderThan === undefined) throw new InvalidOptionError('--older-than', 'is required: how old an upload must be to count as abandoned (e.g. 1d)')
  // 0 is allowed as the library allows it: every upload started until now, said on purpose.
  const age = olderThan.trim() === '0' ? 0 : parseDuration(olderThan, '--older-than', MAX_AGE_MS)
  const options = parseCliArgs(rest, env)
  if (options.files.length > 0) throw new InvalidOptionError('arguments', 'abort-uploads reads no files')
  const bucket = options.bucket!
  let result: AbortIncompleteUploadsResult
  try {
    // abortIncompleteUploads() checks its options when called; a refusal names the flag, as every other usage error does.
    result = await abortIncompleteUploads({
      ...options.connection(),
      bucket,
      olderThan: age,
      dryRun,
      ...(options.prefix === undefined ? {} : { prefix: options.prefix }),
      ...(options.concurrency === undefined ? {} : { concurrency: options.concurrency })
    }).catch((err: unknown) => asFlags(() => { throw err }))
  } catch (err) {
    if (!(err instanceof ListUploadsError)) throw err
    write(formatResult(err.partial, dryRun))
    write(`s3-sink abort-uploads: listing the uploads of s3://${bucket}/${err.prefix} failed: ${describe(err.cause)}\n`)
    return 1
  }
  write(formatResult(result, dryRun))
  const verb = dryRun ? 'would abort' : 'aborted'
  const when = age === 0 ? 'started until now' : `started over ${olderThan.trim()} ago`
  write(`s3-sink abort-uploads: ${verb} ${result.aborted.length} upload(s) ${when} under s3://${bucket}/${normalizePrefix(options.prefix, '--prefix')}` +
    `${result.failed.length === 0 ? '' : `; ${result.failed.length} abort(s) failed`}\n`)
  return result.failed.length === 0 ? 0 : 1
}

/** One line per upload: `aborted|would abort|failed  INITIATED  KEY  UPLOAD-ID[: why]`. */
function formatResult ({ aborted, failed }: AbortIncompleteUploadsResult, dryRun: boolean): string {
  const lines = [
    ...aborted.map((u) => `${dryRun ? 'would abort' : 'aborted'}  ${u.initiated.toISOString()}  ${u.key}  ${u.uploadId}`),
    ...failed.map((u) => `failed  ${u.initiated.toISOString()}  ${u.key}  ${u.uploadId}: ${describe(u.error)}`)
  ]
  return lines.map((line) => `${line}\n`).join('')
}

/** `argv` without the command's own flags, and their values. */
function ownFlags (argv: string[]): { rest: string[], olderThan: string | undefined, dryRun: boolean } {
  const rest: string[] = []
  let olderThan: string | undefined
  let dryRun = false
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!
    if (arg === '--older-than' || arg.startsWith('--older-than=')) {
      const value = arg === '--older-than' ? argv[++i] : arg.slice('--older-than='.length)
      if (value === undefined || value === '' || (arg === '--older-than' && value.startsWith('-'))) throw new InvalidOptionError('--older-than', 'needs a value (e.g. 1d)')
      if (olderThan !== undefined) throw new InvalidOptionError('--older-than', 'is given twice')
      olderThan = value
    } else if (arg === '--dry-run') {
      dryRun = true
    } else if (arg.startsWith('--dry-run=')) {
      throw new InvalidOptionError('--dry-run', 'takes no value')
    } else {
      rest.push(arg)
    }
  }
  return { rest, olderThan, dryRun }
}
