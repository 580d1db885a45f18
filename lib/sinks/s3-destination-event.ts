import type { DurableCallback } from '../durable.js'

/**
 * The argument of `send()`, as `$send.s3()` takes it.
 *
 * @example
 * ```ts
 * const event: S3DestinationEvent = { prefix: 'clicks/', payload: { page: '/', at: Date.now() }, onDurable: () => message.ack() }
 * destination.send(event)
 * ```
 */
export interface S3DestinationEvent {
  /** Target bucket; required unless `options.bucket` was given. */
  bucket?: string
  /** Key prefix; overrides `options.prefix`. */
  prefix?: string
  /** Anything `JSON.stringify` turns into text; becomes one NDJSON line. */
  payload: unknown
  /**
   * Called once the object holding this payload is complete in S3: the
   * moment to acknowledge it to where it came from. Never called for a
   * payload whose object failed or was dropped by `destroy()`, nor for one
   * `send()` refused. One that throws fails the destination with
   * `ERR_CALLBACK` (emitted as `'error'`).
   */
  onDurable?: DurableCallback
}
