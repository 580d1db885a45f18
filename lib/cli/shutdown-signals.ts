import { constants } from 'node:os'
import { InvalidOptionError } from '../errors.js'
import { validateFunction, validateObject, validateStringArray } from '../internal/validate.js'

/** What {@link shutdownSignals} listens on: `process`, or a stand-in in tests. */
export interface SignalSource {
  on (event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown
  off (event: NodeJS.Signals, listener: (signal: NodeJS.Signals) => void): unknown
}

/** Options of {@link shutdownSignals}. */
export interface ShutdownSignalsOptions {
  /** Default `['SIGINT', 'SIGTERM']`. */
  signals?: readonly NodeJS.Signals[]
  /** Called by the third signal with its exit code. Default `process.exit`. */
  exit?: (code: number) => void
}

/** The two steps of a shutdown, as signals `runCli()` takes. */
export interface ShutdownSignals {
  /** Aborted by the first signal, with the signal's name (`'SIGTERM'`) as reason: stop reading, deliver what was read. */
  readonly stop: AbortSignal
  /** Aborted by the second signal, with its name as reason: abort the uploads in flight. */
  readonly abort: AbortSignal
  /** Stops listening. */
  dispose (): void
}

const DEFAULTS = Object.freeze({ signals: ['SIGINT', 'SIGTERM'] as const })

/**
 * Turns SIGINT and SIGTERM into an escalating shutdown: the first one aborts
 * `stop` (graceful: stop reading, deliver what was read), the second aborts
 * `abort` (uploads in flight are aborted, their parts removed), the third
 * exits at once with {@link signalExitCode} and no cleanup at all, for when
 * even the abort hangs. Any mix of the signals counts.
 *
 * @example
 * ```ts
 * const shutdown = shutdownSignals(process)
 * process.exitCode = await runCli(argv, { ...io, stop: shutdown.stop, signal: shutdown.abort })
 * ```
 */
export function shutdownSignals (source: SignalSource, options: ShutdownSignalsOptions = {}): ShutdownSignals {
  if (typeof source?.on !== 'function' || typeof source.off !== 'function') throw new InvalidOptionError('source', 'must be an event emitter such as process')
  validateObject(options, 'options')
  const signals = (validateStringArray(options.signals, 'options.signals') as NodeJS.Signals[] | undefined) ?? DEFAULTS.signals
  signals.forEach((signal, i) => {
    if (!(signal in constants.signals)) throw new InvalidOptionError(`options.signals[${i}]`, 'must be a signal name such as SIGTERM')
  })
  const exit = validateFunction<(code: number) => void>(options.exit, 'options.exit') ?? ((code: number) => process.exit(code))
  const stop = new AbortController()
  const abort = new AbortController()
  const listener = (signal: NodeJS.Signals): void => {
    if (!stop.signal.aborted) stop.abort(signal)
    else if (!abort.signal.aborted) abort.abort(signal)
    else exit(signalExitCode(signal))
  }
  for (const signal of signals) source.on(signal, listener)
  return {
    stop: stop.signal,
    abort: abort.signal,
    dispose () {
      for (const signal of signals) source.off(signal, listener)
    }
  }
}

/**
 * The exit status of a run ended by a signal, the shell's way: 128 + the
 * signal's number (SIGINT 130, SIGTERM 143). 130 for anything that is not a
 * signal name.
 *
 * @example
 * ```ts
 * signalExitCode('SIGTERM') // 143
 * ```
 */
export function signalExitCode (signal: unknown): number {
  const number = typeof signal === 'string' ? (constants.signals as Record<string, number | undefined>)[signal] : undefined
  return 128 + (number ?? constants.signals.SIGINT)
}
