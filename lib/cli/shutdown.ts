import { MAX_TIMER_MS, type Clock } from '../clock.js'
import { InvalidOptionError, ShutdownTimeoutError } from '../errors.js'
import { validateClock, validateFunction, validateInteger, validateObject } from '../internal/validate.js'

/** Options of {@link shutdownControl}. */
export interface ShutdownControlOptions {
  /** Aborting it asks for a graceful stop; a string reason (`'SIGTERM'`) names the cause. */
  stop?: AbortSignal
  /** Aborting it tears the delivery down at once. */
  abort?: AbortSignal
  /** After a stop, how long the delivery may take before it is torn down, in ms. */
  timeoutMs: number
  clock: Clock
  /** Called once when the stop is asked for, with its cause. */
  onStop?: (by: string) => void
}

/** The signals a run follows, derived from a stop, an abort and the deadline. */
export interface ShutdownControl {
  /** Aborted once reading must end: by the stop, the abort or the deadline. */
  readonly reading: AbortSignal
  /** Aborted once the delivery must be torn down (uploads aborted): by the abort or the deadline. For `pipeline()`. */
  readonly teardown: AbortSignal
  /** The stop's cause (`'SIGTERM'`), once asked for. */
  readonly stoppedBy: string | undefined
  /** What tore the delivery down, if anything. */
  readonly tornDownBy: 'abort' | 'deadline' | undefined
  /** Clears the deadline and stops listening. */
  dispose (): void
}

/**
 * Turns a graceful stop and a hard abort into what a run acts on: once
 * `stop` is aborted, reading ends and `timeoutMs` starts on `clock`; when it
 * runs out, or once `abort` is aborted, the delivery is torn down. Already
 * aborted signals count at once.
 *
 * @example
 * ```ts
 * const control = shutdownControl({ stop, abort, timeoutMs: 30_000, clock: systemClock })
 * try {
 *   await pipeline(Readable.from(readInputs(files, { stdin, stop: control.reading })), ...stages, { signal: control.teardown })
 * } finally { control.dispose() }
 * ```
 */
export function shutdownControl (options: ShutdownControlOptions): ShutdownControl {
  validateObject(options, 'options')
  if (options === undefined) throw new InvalidOptionError('options', 'is required (at least timeoutMs and clock)')
  const { stop, abort } = options
  for (const [name, signal] of [['options.stop', stop], ['options.abort', abort]] as const) {
    if (signal !== undefined && !(signal instanceof AbortSignal)) throw new InvalidOptionError(name, 'must be an AbortSignal')
  }
  const timeoutMs = validateInteger(options.timeoutMs, 'options.timeoutMs', 1, MAX_TIMER_MS)
  if (timeoutMs === undefined) throw new InvalidOptionError('options.timeoutMs', 'is required')
  const clock = validateClock(options.clock, 'options.clock')
  if (clock === undefined) throw new InvalidOptionError('options.clock', 'is required')
  const onStopped = validateFunction<(by: string) => void>(options.onStop, 'options.onStop')
  const reading = new AbortController()
  const teardown = new AbortController()
  let stoppedBy: string | undefined
  let tornDownBy: 'abort' | 'deadline' | undefined
  let deadline: unknown = null

  const tearDown = (by: 'abort' | 'deadline', reason: unknown): void => {
    if (teardown.signal.aborted) return
    tornDownBy = by
    reading.abort(reason)
    teardown.abort(reason)
  }
  const onStop = (): void => {
    if (stoppedBy !== undefined || stop === undefined) return
    stoppedBy = typeof stop.reason === 'string' ? stop.reason : 'request'
    reading.abort(stop.reason)
    deadline = clock.setTimeout(() => {
      deadline = null
      tearDown('deadline', new ShutdownTimeoutError(timeoutMs))
    }, timeoutMs)
    onStopped?.(stoppedBy)
  }
  const onAbort = (): void => { tearDown('abort', abort?.reason) }

  if (abort?.aborted === true) onAbort()
  else abort?.addEventListener('abort', onAbort, { once: true })
  if (stop?.aborted === true) onStop()
  else stop?.addEventListener('abort', onStop, { once: true })

  return {
    reading: reading.signal,
    teardown: teardown.signal,
    get stoppedBy () { return stoppedBy },
    get tornDownBy () { return tornDownBy },
    dispose () {
      if (deadline !== null) clock.clearTimeout(deadline)
      deadline = null
      stop?.removeEventListener('abort', onStop)
      abort?.removeEventListener('abort', onAbort)
    }
  }
}
