import { Readable } from 'node:stream'
import { LogSourceCore, type LogDriver } from './log-source.js'
import type { LogSourceSettings, LogSourceStats } from './source-options.js'

/**
 * The Readable side both log sources share: reads, destroy and close go to
 * their {@link LogSourceCore}, which a source makes with {@link drive} once
 * its driver's state exists (a driver cannot be built before `super()`).
 *
 * @example
 * ```ts
 * class MySource extends LogSourceStream {
 *   constructor (settings: LogSourceSettings) {
 *     super(100)
 *     this.drive({ start, pull, permanent, shutdown, settled }, settings)
 *   }
 * }
 * ```
 */
export abstract class LogSourceStream extends Readable {
  #core: LogSourceCore | null = null

  /** @internal */
  protected constructor (highWaterMark: number) {
    super({ objectMode: true, highWaterMark })
  }

  /** @internal The read loop, acknowledgements and close of this source. */
  protected get core (): LogSourceCore {
    if (this.#core === null) throw new Error('a log source must call drive() in its constructor')
    return this.#core
  }

  /** @internal Attaches the driver; once, from the subclass's constructor. */
  protected drive (driver: LogDriver, settings: LogSourceSettings): void {
    this.#core = new LogSourceCore(this, driver, settings)
  }

  /** What the source has done so far. */
  get stats (): LogSourceStats { return this.core.stats }

  /** @internal Starts a read when none is under way; reads follow the consumer. */
  override _read (): void {
    this.core.read()
  }

  /** @internal Stops reading; the connections close once what was read is acknowledged, or at once on an error. */
  override _destroy (err: Error | null, callback: (err?: Error | null) => void): void {
    this.core.destroyed(err)
    callback(err)
  }

  /**
   * Stops reading, sends the acknowledgements queued, and closes the
   * connections the source made (never a client or connection passed in).
   * Records not yet acknowledged are delivered again later: taken over by
   * another consumer of the group (Redis) or redelivered after `ackWaitMs`
   * (NATS). Called by itself once the stream has ended and every record read
   * was acknowledged.
   */
  async close (): Promise<void> {
    await this.core.close()
  }
}
