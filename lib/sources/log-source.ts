import type { Readable } from 'node:stream'
import { onDurable, type DurableRecord } from '../durable.js'
import { S3SinkError, SourceConnectionError, SourcePayloadError, describe } from '../errors.js'
import { sourcePosition } from '../source-position.js'
import { backoffDelay } from './backoff.js'
import { InvalidPayload } from './payload.js'
import { sleep, type LogSourceSettings, type LogSourceStats } from './source-options.js'

/** What a log source does with its log: the part that differs between Redis and NATS. */
export interface LogDriver {
  /** Connects and sets up the group or consumer; on the first read. */
  start (): Promise<void>
  /** Reads at most `room` entries and pushes each (through {@link LogSourceCore.pushPayload}); resolves false once the buffer is full. */
  pull (room: number): Promise<boolean>
  /** The coded error for a failure retrying cannot fix, or null. */
  permanent (err: unknown): Error | null
  /** A failure that will be retried. */
  retrying? (err: unknown): void
  /** Called by destroy(), before the close: cuts a blocking read short. */
  interrupt? (): void
  /** Closes what the source opened (called once, after reading stopped). */
  shutdown (): Promise<void>
  /** True once every record read is acknowledged (and the acknowledgements sent). */
  settled (): boolean
}

/**
 * The lifecycle both log sources share: the read loop that follows the
 * consumer (one read at a time, only while the buffer has room), retries
 * with backoff, the stop signal, what happens to a payload that is not a
 * record, acknowledgements that count once, and a close that runs once and
 * only after reading stopped.
 */
export class LogSourceCore {
  readonly stats: LogSourceStats = { read: 0, redelivered: 0, acknowledged: 0, invalid: 0 }
  stopping = false
  readonly #stream: Readable
  readonly #driver: LogDriver
  readonly #s: LogSourceSettings
  #fetching = false
  #started: Promise<void> | null = null
  #closed: Promise<void> | null = null

  constructor (stream: Readable, driver: LogDriver, settings: LogSourceSettings) {
    this.#stream = stream
    this.#driver = driver
    this.#s = settings
    const { signal } = settings
    if (signal?.aborted === true) this.stopping = true
    else signal?.addEventListener('abort', () => { this.stopping = true }, { once: true })
  }

  /** True once close() was called. */
  get closing (): boolean { return this.#closed !== null }

  /** The connection's set-up, once the first read started it. */
  get started (): Promise<void> | null { return this.#started }

  /** For `_read`: starts a read when none is under way. */
  read (): void {
    if (!this.#fetching) void this.#fetch()
  }

  /** For `_destroy`: stops reading; closes once what was read is acknowledged, or at once on an error. */
  destroyed (err: Error | null): void {
    this.stopping = true
    this.#driver.interrupt?.()
    if (err !== null) void this.close()
    else this.closeWhenSettled()
  }

  async close (): Promise<void> {
    this.#closed ??= (async () => {
      // After a turn: destroy() below calls close() again, which must find this promise.
      await Promise.resolve()
      this.stopping = true
      if (!this.#stream.destroyed) this.#stream.destroy()
      await this.#driver.shutdown()
    })()
    return await this.#closed
  }

  closeWhenSettled (): void {
    if (this.#stream.destroyed && this.#driver.settled()) void this.close()
  }

  /** `ack` wrapped to run at most once, and never once the source is closing (the entry is then redelivered). */
  acker (ack: () => void): () => void {
    let called = false
    return () => {
      if (called || this.#closed !== null) return
      called = true
      ack()
    }
  }

  /**
   * Pushes a decoded entry with its acknowledgement, or applies `onInvalid`
   * to one that is not a record (`raw`: the payload, for a dead letter).
   * Returns false when the buffer is full or the stream failed.
   */
  pushPayload (id: string, position: string | number, record: object | SourcePayloadError, raw: string, ack: () => void): boolean {
    if (!(record instanceof SourcePayloadError)) {
      (record as DurableRecord)[onDurable] = ack
      ;(record as { [sourcePosition]?: string | number })[sourcePosition] = position
      return this.#stream.push(record)
    }
    const { onInvalid } = this.#s
    if (onInvalid === 'error') {
      this.#stream.destroy(record)
      return false
    }
    this.stats.invalid++
    this.#stream.emit('invalid', { id, error: record })
    if (onInvalid === 'skip') {
      ack()
      return true
    }
    const stand = new InvalidPayload(record, raw)
    ;(stand as unknown as DurableRecord)[onDurable] = ack
    return this.#stream.push(stand)
  }

  async #fetch (): Promise<void> {
    this.#fetching = true
    const stream = this.#stream
    const driver = this.#driver
    let attempt = 0
    try {
      for (;;) {
        if (stream.destroyed || this.#closed !== null) return
        if (this.#started === null) {
          try {
            await (this.#started = driver.start())
          } catch (err) {
            if (!stream.destroyed) stream.destroy(driver.permanent(err) ?? startError(err))
            return
          }
        }
        if (stream.destroyed || this.#closed !== null) return
        if (this.stopping) {
          stream.push(null)
          return
        }
        let more: boolean
        try {
          more = await driver.pull(Math.max(1, stream.readableHighWaterMark - stream.readableLength))
          attempt = 0
        } catch (err) {
          if (stream.destroyed) return
          const fatal = driver.permanent(err)
          if (fatal !== null) return void stream.destroy(fatal)
          driver.retrying?.(err)
          await sleep(backoffDelay(++attempt), this.#s.clock)
          continue
        }
        if (!more) return
      }
    } finally {
      this.#fetching = false
    }
  }
}

/**
 * A set-up failure that is not a refusal, coded: the drivers retry their
 * set-up for `reconnectTimeoutMs` and throw `ERR_SOURCE_CONNECTION`
 * themselves; anything else that escapes them is a connection that could
 * not be set up too, not a reason to fail without a code.
 */
function startError (err: unknown): Error {
  if (err instanceof S3SinkError) return err
  return new SourceConnectionError(`the source could not set up its connection: ${describe(err)}`, { cause: err })
}
