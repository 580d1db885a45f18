import type { Redis } from 'ioredis'
import { SourcePayloadError } from '../errors.js'
import { AckBatcher } from './ack-batcher.js'
import { LogSourceStream } from './log-source-stream.js'
import { decodePayload } from './payload.js'
import { connectionOptions, createGroupRetrying, loadIoredis, watchRedis, type RedisWatch } from './redis-connection.js'
import { autoClaimEntries, entryPayload, readGroupEntries, type RedisEntry } from './redis-entries.js'
import { permanentRedisError } from './redis-errors.js'
import { redisStreamSettings, type RedisStreamSettings, type RedisStreamSourceOptions } from './redis-stream-options.js'

export type { RedisStreamSourceOptions } from './redis-stream-options.js'
export type { LogSourceStats } from './source-options.js'

/**
 * Records of a Redis stream through a consumer group: see {@link redisStreamSource}.
 *
 * @example
 * ```ts
 * const source: RedisStreamSource = redisStreamSource({ url: 'redis://127.0.0.1:6379', stream: 'runs', group: 's3' })
 * source.on('end', () => console.log(source.stats, source.unacknowledged))
 * ```
 */
export class RedisStreamSource extends LogSourceStream {
  readonly stream: string
  readonly group: string
  readonly consumer: string
  readonly #s: RedisStreamSettings
  #client: Redis | null = null
  #reader: Redis | null = null
  #watches: RedisWatch[] = []
  readonly #inflight = new Set<string>()
  readonly #acks: AckBatcher
  #nextClaimAt = 0
  #claimCursor = '0-0'
  #keepAlive: unknown = null

  /** @internal Use {@link redisStreamSource}. */
  constructor (settings: RedisStreamSettings) {
    super(settings.count)
    this.#s = settings
    this.stream = settings.stream
    this.group = settings.group
    this.consumer = settings.consumer
    this.#acks = new AckBatcher(async (ids) => { await this.#client?.call('XACK', this.stream, this.group, ...ids) }, (ids, err) => {
      if (err === undefined) this.stats.acknowledged += ids.length
      for (const id of ids) this.#inflight.delete(id)
      this.core.closeWhenSettled()
    })
    this.drive({
      start: async () => { await this.#start() },
      pull: async (room) => {
        let more = true
        for (const entry of await this.#next(room)) more = this.#pushEntry(entry) && more
        return more
      },
      permanent: (err) => permanentRedisError(err, `redis stream ${this.stream}`),
      // A blocking read in flight is cut off: what it would bring stays pending in the group.
      interrupt: () => { this.#reader?.disconnect() },
      shutdown: async () => { await this.#shutdown() },
      settled: () => this.#inflight.size === 0 && this.#acks.pending === 0
    }, settings)
  }

  /** Records read and not yet acknowledged. */
  get unacknowledged (): number { return this.#inflight.size }

  /** Connects and creates the group; on the first read, so that making a source (and dropping it) opens nothing. */
  async #start (): Promise<void> {
    const s = this.#s
    const where = `redis stream ${s.stream}`
    const RedisClass = s.client === undefined ? await loadIoredis() : undefined
    if (this.destroyed) return
    this.#client = (s.client as Redis | undefined) ?? new RedisClass!(s.url!(), connectionOptions(s.consumer, 0))
    this.#reader = this.#client.duplicate(connectionOptions(s.consumer, s.blockMs))
    // Errors are handled by the watches; this keeps ioredis from logging the ones after close as unhandled.
    for (const c of s.client === undefined ? [this.#client, this.#reader] : [this.#reader]) c.on('error', () => {})
    const onFatal = (err: Error): void => { this.destroy(err) }
    for (const c of [this.#client, this.#reader]) this.#watches.push(watchRedis(c, onFatal, s.reconnectTimeoutMs, s.clock, where))
    await createGroupRetrying(this.#client, s, where, () => this.core.closing || this.destroyed)
    if (this.core.closing || this.destroyed) return
    this.#scheduleKeepAlive()
  }

  /**
   * Every claimIdleMs / 3, XCLAIMs to itself (JUSTID, min idle 0) the
   * entries it still holds, which resets their idle time: a record waiting
   * in an open window or a slow upload is not taken over by another worker;
   * only a dead worker's entries go idle. The Redis counterpart of JetStream's
   * in-progress acks.
   */
  #scheduleKeepAlive (): void {
    const { clock, claimIdleMs } = this.#s
    this.#keepAlive = clock.setTimeout(() => {
      this.#keepAlive = null
      if (this.core.closing) return
      const ids = [...this.#inflight]
      void (async () => {
        for (let i = 0; i < ids.length && !this.core.closing; i += 1000) {
          await this.#client!.call('XCLAIM', this.stream, this.group, this.consumer, 0, ...ids.slice(i, i + 1000), 'JUSTID').catch(() => {})
        }
      })().finally(() => { if (!this.core.closing) this.#scheduleKeepAlive() })
    }, Math.max(50, Math.floor(claimIdleMs / 3)))
    ;(this.#keepAlive as { unref?: () => void }).unref?.()
  }

  async #shutdown (): Promise<void> {
    if (this.#keepAlive !== null) this.#s.clock.clearTimeout(this.#keepAlive)
    this.#keepAlive = null
    await this.#acks.flush()
    for (const watch of this.#watches) watch.dispose()
    this.#reader?.disconnect()
    // The caller's client stays theirs.
    if (this.#s.client === undefined) this.#client?.disconnect()
  }

  /** Entries taken over from idle consumers when a claim scan is due, else new ones. */
  async #next (room: number): Promise<RedisEntry[]> {
    const s = this.#s
    const count = Math.min(s.count, room)
    const now = s.clock.now()
    if (now >= this.#nextClaimAt) {
      const reply = await this.#client!.call('XAUTOCLAIM', s.stream, s.group, s.consumer, s.claimIdleMs, this.#claimCursor, 'COUNT', count)
      const { cursor, entries } = autoClaimEntries(reply)
      this.#claimCursor = cursor
      // A full pass done: the next one when entries read since may have gone idle.
      if (cursor === '0-0') this.#nextClaimAt = now + Math.min(Math.max(s.claimIdleMs / 2, 100), 10_000)
      // Entries of ours still on their way to S3 went idle too: pushing them again would store them twice.
      const fresh = entries.filter((entry) => !this.#inflight.has(entry.id))
      this.stats.redelivered += fresh.length
      if (fresh.length > 0) return fresh
    }
    const reply = await this.#reader!.call('XREADGROUP', 'GROUP', s.group, s.consumer, 'COUNT', count, 'BLOCK', s.blockMs, 'STREAMS', s.stream, '>')
    return readGroupEntries(reply)
  }

  #pushEntry (entry: RedisEntry): boolean {
    if (this.destroyed) return false
    const { id } = entry
    this.#inflight.add(id)
    this.stats.read++
    const text = entryPayload(entry, this.#s.field)
    const record = text === undefined
      ? new SourcePayloadError(id, `it has no field ${JSON.stringify(this.#s.field)}`)
      : decodePayload(this.#s.decode, text, id)
    return this.core.pushPayload(id, id, record, text ?? JSON.stringify(entry.fields), this.core.acker(() => { this.#acks.add(id) }))
  }
}

/**
 * An object-mode Readable of the records of one Redis stream, read through a
 * consumer group, so that N workers on N hosts share the stream and a dead
 * worker's records are delivered again.
 *
 * Each record is the JSON object in the entry's `record` field and carries
 * {@link onDurable}: called by the sink once the record's object is complete
 * in S3, it XACKs the entry (acknowledgements of one turn go in one XACK).
 * Entries pending longer than `claimIdleMs` in the group (their consumer
 * died) are taken over with XAUTOCLAIM and pushed again. Reading follows
 * the consumer: at most `count` entries are asked for, and only while the
 * stream's buffer (`count` records) has room. A lost connection is retried
 * with backoff; a refusal fails with `ERR_SOURCE_AUTH` / `ERR_SOURCE_SERVER`,
 * a server gone for `reconnectTimeoutMs` with `ERR_SOURCE_CONNECTION`.
 * Aborting `signal` ends the stream after what was read; call `close()`
 * once the pipeline has settled (it closes by itself once every record read
 * was acknowledged).
 *
 * @example
 * ```ts
 * const stop = new AbortController()
 * process.once('SIGTERM', () => stop.abort())
 * const source = redisStreamSource({ url: 'redis://10.0.0.5:6379', stream: 'runs', group: 's3', signal: stop.signal })
 * try {
 *   await pipeline(source, minuteWindow(), gzip(), s3Writable(cfg))
 * } finally { await source.close() }
 * ```
 */
export function redisStreamSource (options: RedisStreamSourceOptions): RedisStreamSource {
  return new RedisStreamSource(redisStreamSettings(options))
}
