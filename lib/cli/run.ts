import { access, constants } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { systemClock, type Clock } from '../clock.js'
import { describe } from '../errors.js'
import { parseCliArgs, type CliOptions } from './args.js'
import type { Delivery } from './delivery.js'
import { readInputs } from './input.js'
import type { InputRecord } from './ndjson-lines.js'
import { createProgress, type Progress } from './progress.js'
import { redactor } from './redact.js'
import { USAGE } from './usage.js'

/** What the CLI talks to; `main.ts` passes the process's own. */
export interface CliIo {
  stdin: Readable
  stdout: { write: (text: string) => unknown }
  stderr: { write: (text: string) => unknown, isTTY?: boolean }
  env: NodeJS.ProcessEnv
  /** Aborting it (Ctrl-C) stops the run: uploads in flight are aborted. */
  signal?: AbortSignal
  /** Time source of windows, fallback keys and progress. Default: the system clock. */
  clock?: Clock
}

/** Exit codes: delivered, delivery or input failed, usage error, interrupted. */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, interrupted: 130 })

const MAX_LINE_BYTES = 256 * 1024 * 1024

/**
 * The whole `s3-sink` command: parses `argv`, reads the inputs, delivers
 * them and reports on `io.stderr`. Resolves with the exit code; never throws
 * and never prints a secret (values of the secret flags and variables are
 * masked in every message).
 *
 * @example
 * ```ts
 * process.exitCode = await runCli(process.argv.slice(2), { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr, env: process.env })
 * ```
 */
export async function runCli (argv: string[], io: CliIo): Promise<number> {
  const redact = redactor(argv, io.env)
  const fail = (code: number, message: string): number => {
    io.stderr.write(`s3-sink: ${redact(message)}\n`)
    return code
  }
  let options: CliOptions
  try {
    options = parseCliArgs(argv, io.env)
  } catch (err) {
    return fail(EXIT.usage, `${describeUsage(err)}\nTry 's3-sink --help'.`)
  }
  if (options.help) {
    io.stdout.write(USAGE)
    return EXIT.ok
  }
  if (options.version) {
    io.stdout.write(`${version()}\n`)
    return EXIT.ok
  }
  for (const file of options.files) {
    if (file === '-') continue
    try {
      await access(file, constants.R_OK)
    } catch (err) {
      return fail(EXIT.usage, `cannot read ${file}: ${(err as { code?: string }).code ?? describe(err)}`)
    }
  }
  const clock = io.clock ?? systemClock
  const progress = createProgress({ stream: io.stderr, clock })
  let delivery: Delivery
  try {
    // Loaded only now: the AWS SDK takes a while to load, and --help or a typo should answer at once.
    const { buildDelivery } = await import('./delivery.js')
    delivery = buildDelivery(options, progress, clock)
  } catch (err) {
    return fail(EXIT.usage, `${describeUsage(err)}\nTry 's3-sink --help'.`)
  }
  progress.start()
  let code: number = EXIT.ok
  try {
    const input = Readable.from(counted(readInputs(options.files, { stdin: io.stdin, maxLineBytes: maxLineBytes(options) }), progress))
    await pipeline([input, ...delivery.streams], io.signal === undefined ? {} : { signal: io.signal })
  } catch (err) {
    progress.stop()
    code = io.signal?.aborted === true
      ? fail(EXIT.interrupted, 'interrupted: uploads in flight were aborted')
      : fail(EXIT.failed, describeFailure(err))
  } finally {
    progress.stop()
    delivery.close()
    io.stderr.write(`${progress.summary()}\n`)
  }
  return code
}

async function * counted (records: AsyncIterable<InputRecord>, progress: Progress): AsyncGenerator<InputRecord> {
  for await (const record of records) {
    progress.recordsRead++
    yield record
  }
}

/** A line longer than a batch may hold is reported with its line number, not as a window overflow. */
function maxLineBytes (options: CliOptions): number {
  if (options.perRecord || options.maxBytes === undefined) return MAX_LINE_BYTES
  return Math.max(1, Math.min(MAX_LINE_BYTES, options.maxBytes - 1))
}

function describeUsage (err: unknown): string {
  // By code, not instanceof: the delivery modules are loaded apart (see above),
  // and a loader may give them their own copy of the error classes.
  const code = (err as { code?: unknown } | null)?.code
  if (code === 'ERR_INVALID_OPTION' || code === 'ERR_S3_SINK_CONFIG') return (err as Error).message
  return describe(err)
}

/** `ERR_S3_UPLOAD: upload of s3://bucket/key failed: NoSuchBucket: ...`; codes are what scripts match on. */
function describeFailure (err: unknown): string {
  const code = (err as { code?: unknown }).code
  const message = err instanceof Error ? err.message : String(err)
  return typeof code === 'string' ? `${code}: ${message}` : describe(err)
}

function version (): string {
  // lib/cli and dist/cli are both two levels below the package root.
  const pkg = createRequire(import.meta.url)('../../package.json') as { version: string }
  return pkg.version
}
