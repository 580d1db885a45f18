import { onDurable, type DurableCallback } from '../durable.js'
import { CallbackError } from '../errors.js'

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

/** Runs one acknowledgement; what it throws comes back as a `CallbackError`, never lost. */
export function callDurable (callback: DurableCallback): CallbackError | null {
  try {
    callback()
    return null
  } catch (err) {
    return new CallbackError('record[onDurable]', 'threw', { cause: err })
  }
}

/** Acknowledges a record the pipeline let go on purpose (filtered out, skipped); throws what its callback threw. */
export function ackNow (record: unknown): void {
  const callback = durableOf(record)
  if (callback === undefined) return
  const error = callDurable(callback)
  if (error !== null) throw error
}
