import { access, constants } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { systemClock, type Clock } from '../clock.js'
import { ShutdownTimeoutError, describe } from '../errors.js'
import { parseCliArgs } from './args.js'
import type { CliOptions } from './cli-options.js'
import type { Delivery } from './delivery.js'
import type { LogInput } from './log-input.js'
import { readInputs, type StopPoint } from './input.js'
import type { InputRecord } from './ndjson-lines.js'
import { createProgress, type Progress } from './progress.js'
import { redactor } from './redact.js'
import { shutdownControl } from './shutdown.js'
import { signalExitCode } from './shutdown-signals.js'
import { USAGE } from './usage.js'

/** What the CLI talks to; `main.ts` passes the process's own. */
export interface CliIo {
  stdin: Readable
  stdout: { write: (text: string) => unknown }
  stderr: { write: (text: string) => unknown, isTTY?: boolean }
  env: NodeJS.ProcessEnv
  /**
   * Aborting it stops the run gracefully: no more input is read, what was
   * read is delivered (within `--shutdown-timeout`) and the run ends with
   * exit code 0. A string reason (`'SIGTERM'`) is named in the summary.
   */
  stop?: AbortSignal
  /**
   * Aborting it ends the run at once: uploads in flight are aborted. With a
   * signal name as reason the exit code is 128 + its number (SIGTERM 143), else 130.
   */
  signal?: AbortSignal
  /** Time source of windows, fallback keys and progress. Default: the system clock. */
  clock?: Clock
}

/**
 * Exit codes: delivered, delivery or input failed, usage error, a stop's
 * deadline ran out, interrupted (or 128 + the signal's number).
 */
export const EXIT = Object.freeze({ ok: 0, failed: 1, usage: 2, shutdownTimeout: 124, interrupted: 130 })

const DEFAULTS = Object.freeze({ shutdownTimeout: 30_000 })

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
  const command = argv[0] === 'doctor' || argv[0] === 'abort-uploads' ? argv[0] : undefined
  if (command !== undefined) {
    if (argv.slice(1).some((a) => a === '--help' || a === '-h')) {
      io.stdout.write(USAGE)
      return EXIT.ok
    }
    try {
      // Loaded only now, like the delivery: the AWS SDK takes a while to load.
      const run = command === 'doctor' ? (await import('./doctor.js')).runDoctor : (await import('./abort-uploads.js')).runAbortUploads
      return await run(argv.slice(1), io.env, (text) => io.stdout.write(redact(text)))
    } catch (err) {
      return fail(EXIT.usage, `${describeUsage(err)}\nTry 's3-sink --help'.`)
    }
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
  // Counts and names only, but a stream or file name could hold a secret: every line goes through the mask.
  const progress = createProgress({ stream: { write: (text: string) => io.stderr.write(redact(text)), isTTY: io.stderr.isTTY }, clock })
  let delivery: Delivery
  try {
    // Loaded only now: the AWS SDK takes a while to load, and --help or a typo should answer at once.
    const { buildDelivery } = await import('./delivery.js')
    delivery = buildDelivery(options, progress, clock)
  } catch (err) {
    return fail(EXIT.usage, `${describeUsage(err)}\nTry 's3-sink --help'.`)
  }
  progress.start()
  const timeoutMs = options.shutdownTimeout ?? DEFAULTS.shutdownTimeout
  const control = shutdownControl({
    stop: io.stop,
    abort: io.signal,
    timeoutMs,
    clock,
    onStop: (by) => {
      progress.stop() // the live line would garble the message
      io.stderr.write(`s3-sink: ${by}: stopped reading; delivering what was read (at most ${timeoutMs} ms)\n`)
      progress.start()
    }
  })
  let code: number = EXIT.ok
  let stoppedAt: StopPoint | null | undefined
  let log: LogInput | undefined
  try {
    if (options.logSource !== undefined) {
      // Loaded only for --source: file runs never load a log client.
      const { openLogInput } = await import('./log-input.js')
      log = await openLogInput(options.logSource, control.reading, progress, options.onInvalid)
    }
    const records = log === undefined ? readInputs(options.files, { stdin: io.stdin, maxLineBytes: maxLineBytes(options), stop: control.reading, invalid: options.onInvalid === 'error' ? 'error' : 'pass' }) : undefined
    const head = log?.streams ?? [Readable.from(counted(records!, progress, (at) => { stoppedAt = at }))]
    await pipeline([...head, ...delivery.streams], { signal: control.teardown })
  } catch (err) {
    progress.stop()
    progress.endedBy = control.tornDownBy === 'deadline' ? 'the deadline' : control.tornDownBy ?? 'failure'
    if (control.tornDownBy === 'abort') code = fail(signalExitCode(io.signal?.reason), 'interrupted: uploads in flight were aborted')
    else if (control.tornDownBy === 'deadline') code = fail(EXIT.shutdownTimeout, describeFailure(new ShutdownTimeoutError(timeoutMs)))
    else code = fail(EXIT.failed, describeFailure(err))
  } finally {
    // A pipeline torn down mid-read rejects before its sink has closed: what
    // the sink's aborts leave (and the objects confirmed meanwhile) comes then.
    await delivery.settled()
    // The last acknowledgements go out before the summary counts them.
    await log?.close()
    control.dispose()
    if (control.stoppedBy !== undefined) progress.stopped = { by: control.stoppedBy, at: stoppedAt }
    progress.stop()
    delivery.close()
    io.stderr.write(`${redact(progress.summary())}\n`)
  }
  return code
}

/** Counts the records read; once reading ends, `ended` learns where (`null`: at the end of the input). */
async function * counted (records: AsyncGenerator<InputRecord, StopPoint | undefined>, progress: Progress, ended: (at: StopPoint | null) => void): AsyncGenerator<InputRecord> {
  let step = await records.next()
  try {
    for (; step.done !== true; step = await records.next()) {
      progress.recordsRead++
      yield step.value
    }
  } finally {
    // Ended early (a failure downstream): the inputs must be closed.
    if (step.done !== true) await records.return(undefined)
  }
  ended(step.value ?? null)
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
