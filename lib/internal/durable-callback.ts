import { onDurable, type DurableCallback } from '../durable.js'
import { CallbackError } from '../errors.js'

/** The stream that calls acknowledgements: what an async one's rejection fails. */
export interface AckCaller {
  readonly destroyed: boolean
  readonly writableEnded: boolean
  readonly errored: Error | null
  destroy: (error?: Error) => unknown
  once: (event: 'close', listener: () => void) => unknown
}

/** The promises of a caller's async acknowledgements still running, and the first that rejected. */
interface Unsettled {
  running: Set<Promise<void>>
  failure: CallbackError | null
  /** Its `final` took the failure: a later one only warns. */
  collected: boolean
}
const unsettled = new WeakMap<AckCaller, Unsettled>()

/**
 * The callback `record` carries under {@link onDurable}, if any. Throws a
 * `CallbackError` for a value that is not a function: a record whose
 * acknowledgement cannot run would be redelivered forever, unseen.
 */
export function durableOf (record: unknown): DurableCallback | undefined {
  if (typeof record !== 'object' || record === null) return undefined
  const callback = (record as { [onDurable]?: unknown })[onDurable]
  if (callback === undefined || typeof callback === 'function') return callback as DurableCallback | undefined
  throw new CallbackError('record[onDurable]', 'must be a function')
}

/**
 * Runs one acknowledgement; what it throws comes back as a `CallbackError`,
 * never lost. An async callback (`async () => { await msg.ackAck() }`, which
 * `() => void` accepts) is not awaited here, but its rejection is never left
 * unhandled, which would end the process: it fails `caller` with a
 * `CallbackError` as a throw would (at once while records still come; once
 * they have ended, through `caller`'s `final`, see {@link afterAcks}). A
 * rejection with no caller, or after the caller finished, becomes a process
 * warning; after the caller failed it is dropped, as a second throw among one
 * object's callbacks is.
 */
export function callDurable (callback: DurableCallback, caller?: AckCaller): CallbackError | null {
  let result: unknown
  try {
    result = callback()
  } catch (err) {
    return new CallbackError('record[onDurable]', 'threw', { cause: err })
  }
  if (typeof (result as { then?: unknown } | null)?.then === 'function') track(Promise.resolve(result), caller)
  return null
}

function track (promise: Promise<unknown>, caller: AckCaller | undefined): void {
  const state = caller === undefined ? undefined : stateOf(caller)
  const running: Promise<void> = promise.then(() => {}, (err: unknown) => {
    fail(new CallbackError('record[onDurable]', 'rejected', { cause: err }), caller, state)
  }).finally(() => { state?.running.delete(running) })
  state?.running.add(running)
}

function stateOf (caller: AckCaller): Unsettled {
  let state = unsettled.get(caller)
  if (state === undefined) unsettled.set(caller, state = { running: new Set(), failure: null, collected: false })
  return state
}

function fail (error: CallbackError, caller: AckCaller | undefined, state: Unsettled | undefined): void {
  if (caller === undefined || state === undefined || state.collected) return warn(error)
  if (caller.errored !== null) return
  if (caller.destroyed) return warn(error)
  if (!caller.writableEnded) {
    caller.destroy(error)
    return
  }
  // Ended: its final reports it; a caller without one (a stage) warns once it closes.
  if (state.failure !== null) return
  state.failure = error
  caller.once('close', () => { if (!state.collected) warn(error) })
}

function warn (error: CallbackError): void {
  process.emitWarning(error)
}

/**
 * Wraps a sink's `final` callback: once the sink's own work is done, it waits
 * for the async acknowledgements still running and fails with the first
 * that rejected, so `pipeline()` resolves only after they all succeeded.
 */
export function afterAcks (caller: AckCaller, cb: (err?: Error | null) => void): (err?: Error | null) => void {
  return (err) => {
    if (err !== undefined && err !== null) return cb(err)
    const state = unsettled.get(caller)
    if (state === undefined) return cb()
    void Promise.all(state.running).then(() => {
      state.collected = true
      cb(state.failure)
    })
  }
}

/** Acknowledges a record the pipeline let go on purpose (filtered out, skipped); throws what its callback threw. */
export function ackNow (record: unknown, caller?: AckCaller): void {
  const callback = durableOf(record)
  if (callback === undefined) return
  const error = callDurable(callback, caller)
  if (error !== null) throw error
}
