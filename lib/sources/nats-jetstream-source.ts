import type { NatsConnection } from '@nats-io/transport-node'
import type { Consumer, JsMsg } from '@nats-io/jetstream'
import { SourceConnectionError, describe } from '../errors.js'
import { connectNats, ensureDurable, followStatus, loadNats } from './nats-connection.js'
import { permanentNatsError } from './nats-errors.js'
import { natsJetStreamSettings, type NatsJetStreamSettings, type NatsJetStreamSourceOptions } from './nats-jetstream-options.js'
import { LogSourceStream } from './log-source-stream.js'
import { decodePayload } from './payload.js'
import { backoffDelay } from './backoff.js'
import { sleep, within } from './source-options.js'

export type { NatsJetStreamSourceOptions } from './nats-jetstream-options.js'

/**
 * Records of a JetStream stream through a durable pull consumer: see {@link natsJetStreamSource}.
 *
 * @example
 * ```ts
 * const source: NatsJetStreamSource = natsJetStreamSource({ url: 'nats://127.0.0.1:4222', stream: 'RUNS', durable: 's3' })
 * source.on('end', () => console.log(source.stats, source.unacknowledged))
 * ```
 */
export class NatsJetStreamSource extends LogSourceStream {
  readonly streamName: string
  readonly durable: string
  readonly #s: NatsJetStreamSettings
  #nc: NatsConnection | null = null
  #consumer: Consumer | null = null
  /** The messages read and not yet acknowledged, by stream sequence (at most maxAckPending of them, payloads included). */
  readonly #inflight = new Map<number, JsMsg>()
  #downTimer: unknown = null
  #workingTimer: unknown = null
  #lastError: unknown

  /** @internal Use {@link natsJetStreamSource}. */
  constructor (settings: NatsJetStreamSettings) {
    super(settings.batch)
    this.#s = settings
    this.streamName = settings.stream
    this.durable = settings.durable
    this.drive({
      start: async () => { await this.#start() },
      pull: async (room) => {
        let more = true
        const messages = await this.#consumer!.fetch({ max_messages: Math.min(this.#s.batch, room), expires: this.#s.expiresMs })
        for await (const msg of messages) more = this.#pushMessage(msg) && more
        return more
      },
      permanent: (err) => permanentNatsError(err, `nats stream ${this.streamName}`),
      retrying: (err) => { this.#lastError = err },
      shutdown: async () => { await this.#shutdown() },
      settled: () => this.#inflight.size === 0
    }, settings)
  }

  /** Records read and not yet acknowledged. */
  get unacknowledged (): number { return this.#inflight.size }

  async #shutdown (): Promise<void> {
    const { clock } = this.#s
    if (this.#downTimer !== null) clock.clearTimeout(this.#downTimer)
    if (this.#workingTimer !== null) clock.clearTimeout(this.#workingTimer)
    this.#downTimer = this.#workingTimer = null
    await this.core.started?.catch(() => {})
    const nc = this.#nc
    if (nc === null || nc.isClosed()) return
    // flush: the acks published so far reach the server before the connection goes.
    await within(nc.flush().catch(() => {}), this.#s.reconnectTimeoutMs, clock)
    if (this.#s.connection === undefined) await nc.close().catch(() => {})
  }

  /** Connects, makes sure the durable consumer exists with explicit acks; on the first read. */
  async #start (): Promise<void> {
    const s = this.#s
    const nats = await loadNats()
    if (s.connection !== undefined) this.#nc = s.connection as NatsConnection
    else this.#nc = await connectNats(nats.connect, s, () => this.core.closing)
    const nc = this.#nc
    if (this.core.closing) return
    void followStatus(nc, () => { this.#down() }, () => { this.#up() }, (err) => { this.#lastError = err }).catch(() => {})
    // A set-up request that times out (a connection gone silent, JetStream without quorum) is sent again, as a read
    // is, for reconnectTimeoutMs at most: a raw TimeoutError at once failed a worker on a blip, without a code.
    const since = s.clock.now()
    for (let attempt = 1; this.#consumer === null; attempt++) {
      try {
        await ensureDurable(await nats.jetstreamManager(nc), s)
        this.#consumer = await nats.jetstream(nc).consumers.get(s.stream, s.durable)
      } catch (err) {
        if (permanentNatsError(err, '') !== null) throw err
        this.#lastError = err
        if (s.clock.now() - since >= s.reconnectTimeoutMs) {
          throw new SourceConnectionError(`nats stream ${this.streamName}: could not set up durable ${this.durable} for ${s.reconnectTimeoutMs} ms: ${describe(err)}`, { cause: err })
        }
        await sleep(backoffDelay(attempt), s.clock)
        if (this.core.closing || this.destroyed) return
      }
    }
    this.#scheduleWorking()
  }

  #down (): void {
    if (this.#downTimer !== null || this.core.closing) return
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
      if (this.core.closing) return
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
    return this.core.pushPayload(id, seq, decodePayload(this.#s.decode, text, id), text, this.core.acker(() => { this.#ack(seq) }))
  }

  #ack (seq: number): void {
    const msg = this.#inflight.get(seq)
    this.#inflight.delete(seq)
    if (msg !== undefined) {
      this.#settle(() => { msg.ack() })
      this.stats.acknowledged++
    }
    this.core.closeWhenSettled()
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
