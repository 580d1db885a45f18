import { S3SinkError } from '../errors.js'

/**
 * The deadline of a graceful stop ran out: the uploads still in flight were
 * aborted. `timeoutMs` says how long the stop was given.
 *
 * @example
 * ```ts
 * if ((err as { code?: string }).code === 'ERR_SHUTDOWN_TIMEOUT') console.error('not everything was delivered')
 * ```
 */
export class ShutdownTimeoutError extends S3SinkError {
  override name = 'ShutdownTimeoutError'
  override readonly code = 'ERR_SHUTDOWN_TIMEOUT'
  readonly timeoutMs: number

  constructor (timeoutMs: number) {
    super(`shutdown timed out after ${timeoutMs} ms: uploads in flight were aborted`)
    this.timeoutMs = timeoutMs
  }
}
