import { Readable } from 'node:stream'
import type { ConnectionOptions, NatsConnection } from '@nats-io/transport-node'
import type { Consumer, JsMsg } from '@nats-io/jetstream'
import { onDurable, type DurableRecord } from '../durable.js'
import { sourcePosition } from '../source-position.js'
import { SourceConnectionError, SourcePayloadError, describe, toError } from '../errors.js'
import { backoffDelay } from './backoff.js'
import { loadNats, natsConnectOptions, followStatus } from './nats-connection.js'
import { permanentNatsError } from './nats-errors.js'
import { natsJetStreamSettings, type NatsJetStreamSettings, type NatsJetStreamSourceOptions } from './nats-jetstream-options.js'
import { InvalidPayload, decodePayload } from './payload.js'
import { sleep, within, type LogSourceStats } from './source-options.js'

export type { NatsJetStreamSourceOptions } from './nats-jetstream-options.js'

const NANOS_PER_MS = 1_000_000

/**
 * Records of a JetStream stream through a durable pull consumer: see {@link natsJetStreamSource}.
 *
 * @example
 * ```ts
 * const source: NatsJetStreamSource = natsJetStreamSource({ url: 'nats://127.0.0.1:4222', stream: 'RUNS', durable: 's3' })
 * source.on('end', () => console.log(source.stats, source.unacknowledged))
 * ```
 */
export class NatsJetStreamSource extends Readable {
  readonly streamName: string
  readonly durable: string
  readonly stats: LogSourceStats = { read: 0, redelivered: 0, acknowledged: 0, invalid: 0 }
  readonly #s: NatsJetStreamSettings
  #nc: NatsConnection | null = null
  #consumer: Consumer | null = null
  /** The messages read and not yet acknowledged, by stream sequence (at most maxAckPending of them, payloads included). */
  readonly #inflight = new Map<number, JsMsg>()
  #fetching = false
  #stopping = false
  #started: Promise<void> | null = null
  #closed: Promise<void> | null = null
  #downTimer: unknown = null
  #workingTimer: unknown = null
  #lastError: unknown

  /** @internal Use {@link natsJetStreamSource}. */
  constructor (settings: NatsJetStreamSettings) {
    super({ objectMode: true, highWaterMark: settings.batch })
    this.#s = settings
    this.streamName = settings.stream
    this.durable = settings.durable
    const { signal } = settings
    if (signal?.aborted === true) this.#stopping = true
    else signal?.addEventListener('abort', () => { this.#stopping = true }, { once: true })
  }

  /** Records read and not yet acknowledged. */
  get unacknowledged (): number { return this.#inflight.size }

  /** @internal Starts a read when none is under way; reads follow the consumer. */
  override _read (): void {
    if (!this.#fetching) void this.#fetch()
  }

  /** @internal Stops reading; the connections close once what was read is acknowledged, or at once on an error. */
  override _destroy (err: Error | null, callback: (err?: Error | null) => void): void {
    this.#stopping = true
    if (err !== null) void this.close()
    else this.#closeWhenSettled()
    callback(err)
  }

  /**
   * Stops reading, flushes the acknowledgements sent, and closes the
   * connection the source made. Records not yet acknowledged are
   * redelivered after `ackWaitMs`. Called by itself once the stream has
   * ended and every record read was acknowledged.
   */
  async close (): Promise<void> {
    this.#closed ??= (async () => {
      // After a turn: destroy() below calls close() again, which must find this promise.
      await Promise.resolve()
      this.#stopping = true
      if (!this.destroyed) this.destroy()
      const { clock } = this.#s
      if (this.#downTimer !== null) clock.clearTimeout(this.#downTimer)
      if (this.#workingTimer !== null) clock.clearTimeout(this.#workingTimer)
      this.#downTimer = this.#workingTimer = null
      await this.#started?.catch(() => {})
      const nc = this.#nc
      if (nc === null || nc.isClosed()) return
      // flush: the acks published so far reach the server before the connection goes.
      await within(nc.flush().catch(() => {}), this.#s.reconnectTimeoutMs, clock)
      if (this.#s.connection === undefined) await nc.close().catch(() => {})
    })()
    return await this.#closed
  }

  #closeWhenSettled (): void {
    if (this.destroyed && this.#inflight.size === 0) void this.close()
  }

  /** Connects, makes sure the durable consumer exists with explicit acks; on the first read. */
  async #start (): Promise<void> {
    const s = this.#s
    const nats = await loadNats()
    if (s.connection !== undefined) this.#nc = s.connection as NatsConnection
    else this.#nc = await this.#connect(nats.connect)
    const nc = this.#nc
    if (this.#closed !== null) return
    void followStatus(nc, () => { this.#down() }, () => { this.#up() }, (err) => { this.#lastError = err }).catch(() => {})
    const jsm = await nats.jetstreamManager(nc)
    const config = { ack_wait: s.ackWaitMs * NANOS_PER_MS, max_ack_pending: s.maxAckPending }
    try {
      const info = await jsm.consumers.info(s.stream, s.durable)
      const update: Partial<typeof config> = {}
      if (s.given.ackWaitMs && info.config.ack_wait !== config.ack_wait) update.ack_wait = config.ack_wait
      if (s.given.maxAckPending && info.config.max_ack_pending !== config.max_ack_pending) update.max_ack_pending = config.max_ack_pending
      if (Object.keys(update).length > 0) await jsm.consumers.update(s.stream, s.durable, update)
    } catch (err) {
      if ((err as Error).name !== 'ConsumerNotFoundError') throw err
      await jsm.consumers.add(s.stream, {
        durable_name: s.durable,
        ack_policy: 'explicit' as never,
        deliver_policy: s.deliverPolicy as never,
        ...config
      })
    }
    this.#consumer = await nats.jetstream(nc).consumers.get(s.stream, s.durable)
    this.#scheduleWorking()
  }

  /** Connects, retrying failed attempts with backoff for up to reconnectTimeoutMs; refused credentials fail at once. */
  async #connect (connect: (options: ConnectionOptions) => Promise<NatsConnection>): Promise<NatsConnection> {
    const s = this.#s
    const until = s.clock.now() + s.reconnectTimeoutMs
    const options = natsConnectOptions(s.url!(), s.name)
    for (let attempt = 1; ; attempt++) {
      try {
        const left = until - s.clock.now()
        return await connect({ ...options, timeout: Math.max(100, Math.min(left, 20_000)) })
      } catch (err) {
        const fatal = permanentNatsError(err, `nats stream ${s.stream}`)
        if (fatal !== null) throw fatal
        const delay = backoffDelay(attempt)
        if (this.#closed !== null || s.clock.now() + delay >= until) {
          throw new SourceConnectionError(`nats stream ${s.stream}: no connection for ${s.reconnectTimeoutMs} ms: ${describe(err)}`, { cause: err })
        }
        await sleep(delay, s.clock)
      }
    }
  }

  #down (): void {
    if (this.#downTimer !== null || this.#closed !== null) return
    const { clock, reconnectTimeoutMs } = this.#s
    this.#downTimer = clock.setTimeout(() => {
      this.#downTimer = null
      const last = this.#lastError === undefined ? '' : `: ${describe(this.#lastError)}`
      this.destroy(new SourceConnectionError(`nats stream ${this.streamName}: no connection for ${reconnectTimeoutMs} ms${last}`, { cause: this.#lastError }))
    }, reconnectTimeoutMs)
  }

  #up (): void {
    if (this.#downTimer !== null) this.#s.clock.clearTimeout(this.#downTimer)
    this.#downTimer = null
  }

  /** In-progress acks for every record still on its way, so a long window does not look like a dead worker. */
  #scheduleWorking (): void {
    const { clock, ackWaitMs } = this.#s
    this.#workingTimer = clock.setTimeout(() => {
      this.#workingTimer = null
      if (this.#closed !== null) return
      for (const msg of this.#inflight.values()) this.#settle(() => { msg.working() })
      this.#scheduleWorking()
    }, Math.max(50, Math.floor(ackWaitMs / 3)))
    ;(this.#workingTimer as { unref?: () => void }).unref?.()
  }

  #settle (send: () => void): void {
    try {
      send()
    } catch {
      // A closed connection: the message stays unacknowledged and is redelivered after ackWait.
    }
  }

  async #fetch (): Promise<void> {
    this.#fetching = true
    let attempt = 0
    try {
      for (;;) {
        if (this.destroyed || this.#closed !== null) return
        if (this.#started === null) {
          try {
            await (this.#started = this.#start())
          } catch (err) {
            if (!this.destroyed) this.destroy(permanentNatsError(err, `nats stream ${this.streamName}`) ?? toError(err))
            return
          }
        }
        if (this.#stopping) {
          this.push(null)
          return
        }
        let more = true
        try {
          const room = Math.max(1, Math.min(this.#s.batch, this.readableHighWaterMark - this.readableLength))
          const messages = await this.#consumer!.fetch({ max_messages: room, expires: this.#s.expiresMs })
          for await (const msg of messages) more = this.#pushMessage(msg) && more
          attempt = 0
        } catch (err) {
          if (this.destroyed) return
          const fatal = permanentNatsError(err, `nats stream ${this.streamName}`)
          if (fatal !== null) return void this.destroy(fatal)
          this.#lastError = err
          await sleep(backoffDelay(++attempt), this.#s.clock)
          continue
        }
        if (!more) return
      }
    } finally {
      this.#fetching = false
    }
  }

  #pushMessage (msg: JsMsg): boolean {
    const seq = msg.seq
    if (this.destroyed) return false
    // Already on its way here (redelivered while we hold it): the newest delivery is the one to ack.
    if (this.#inflight.has(seq)) {
      this.#inflight.set(seq, msg)
      return true
    }
    this.#inflight.set(seq, msg)
    this.stats.read++
    if (msg.redelivered) this.stats.redelivered++
    const text = msg.string()
    const id = String(seq)
    const record = decodePayload(this.#s.decode, text, id)
    if (!(record instanceof SourcePayloadError)) {
      (record as DurableRecord)[onDurable] = this.#acker(seq)
      ;(record as { [sourcePosition]?: number })[sourcePosition] = seq
      return this.push(record)
    }
    const { onInvalid } = this.#s
    if (onInvalid === 'error') {
      this.destroy(record)
      return false
    }
    this.stats.invalid++
    this.emit('invalid', { id, error: record })
    if (onInvalid === 'skip') {
      this.#acker(seq)()
      return true
    }
    const stand = new InvalidPayload(record, text)
    ;(stand as unknown as DurableRecord)[onDurable] = this.#acker(seq)
    return this.push(stand)
  }

  #acker (seq: number): () => void {
    let called = false
    return () => {
      if (called || this.#closed !== null) return
      called = true
      const msg = this.#inflight.get(seq)
      this.#inflight.delete(seq)
      if (msg !== undefined) {
        this.#settle(() => { msg.ack() })
        this.stats.acknowledged++
      }
      this.#closeWhenSettled()
    }
  }
}

/**
 * An object-mode Readable of the records of one JetStream stream, read
 * through a durable pull consumer with explicit acks, so that N workers on
 * N hosts share the stream and a dead worker's records are redelivered.
 *
 * Each record is the JSON object of a message and carries
 * {@link onDurable}: called by the sink once the record's object is
 * complete in S3, it acks the message. While a record waits in an open
 * window the source sends in-progress acks every `ackWaitMs / 3`, so only
 * the records of a worker that died (or hangs without its event loop) are
 * redelivered after `ackWaitMs`. Reading follows the consumer: a pull asks
 * for at most `batch` messages and only while the stream's buffer has room;
 * `maxAckPending` bounds what the consumer hands out unacknowledged. A lost
 * connection is retried with backoff; refused credentials fail with
 * `ERR_SOURCE_AUTH`, no JetStream or no such stream with `ERR_SOURCE_SERVER`,
 * a server gone for `reconnectTimeoutMs` with `ERR_SOURCE_CONNECTION`.
 * Aborting `signal` ends the stream after what was read; call `close()`
 * once the pipeline has settled.
 *
 * @example
 * ```ts
 * const stop = new AbortController()
 * process.once('SIGTERM', () => stop.abort())
 * const source = natsJetStreamSource({ url: 'nats://10.0.0.7:4222', stream: 'RUNS', durable: 's3', signal: stop.signal })
 * try {
 *   await pipeline(source, minuteWindow(), gzip(), s3Writable(cfg))
 * } finally { await source.close() }
 * ```
 */
export function natsJetStreamSource (options: NatsJetStreamSourceOptions): NatsJetStreamSource {
  return new NatsJetStreamSource(natsJetStreamSettings(options))
}
