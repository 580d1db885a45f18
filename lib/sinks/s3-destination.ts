import { EventEmitter } from 'node:events'
import { inspect } from 'node:util'
import { DestinationClosedError, InvalidOptionError, WindowOverflowError } from '../errors.js'
import { ndjsonLine } from '../internal/ndjson-line.js'
import { normalizePrefix } from '../internal/object-key.js'
import { validateFunction, validateKnownKeys, validateObject, validateString } from '../internal/validate.js'
import type { DurableCallback } from '../durable.js'
import type { ResolvedOptions } from './destination-options.js'
import type { S3DestinationEvent } from './s3-destination-event.js'
import type { S3DestinationStats } from './s3-destination-stats.js'
import { Route, type RouteSettings } from './destination-route.js'
import type { ObjectWritten } from './object-written.js'

export type { S3DestinationOptions } from './destination-options.js'
export type { S3DestinationEvent } from './s3-destination-event.js'
export type { S3DestinationStats } from './s3-destination-stats.js'
// Its error lives with the others; exported from here as before.
export { DestinationClosedError } from '../errors.js'

const EVENT_FIELDS = ['bucket', 'prefix', 'payload', 'onDurable'] as const

/**
 * What {@link createS3Destination} returns. Events: `'object'`
 * ({@link ObjectWritten}), `'retry'`, `'late'`, `'drain'`, `'error'` (once).
 *
 * @example
 * ```ts
 * destination.send({ bucket: 'b', prefix: 'p/', payload: { id: 1 } })
 * console.log(destination.stats) // { queued: 1, delivered: 0, objects: 0, failed: 0, pending: 1, late: 0, dropped: 0 }
 * ```
 */
export class S3Destination extends EventEmitter {
  readonly #s: RouteSettings
  readonly #ownClient: boolean
  readonly #bucket: string | undefined
  readonly #prefix: string
  readonly #routes = new Map<string, Route>()
  readonly #live = new Set<Route>()
  readonly #blocked = new Set<Route>()
  readonly #waiters: Array<(err?: Error) => void> = []
  readonly #counts = { queued: 0, delivered: 0, objects: 0, failed: 0, late: 0, dropped: 0 }
  #failure: Error | null = null
  #closed: Promise<void> | null = null
  #destroyed = false
  #released = false

  /** @internal Use {@link createS3Destination}. */
  constructor ({ settings, ownClient, bucket, prefix }: ResolvedOptions) {
    super()
    this.#s = settings
    this.#ownClient = ownClient
    this.#bucket = bucket
    this.#prefix = prefix
  }

  /**
   * Queues one payload and returns at once. `true`: send more; `false`: a
   * route is full, wait for `'drain'` or `ready()` (the payload is queued
   * either way). Throws, queuing nothing, on a bad event
   * (`InvalidOptionError`), an unserializable payload (`SerializationError`,
   * `index` = `stats.queued`), one above `maxBytes` (`WindowOverflowError`),
   * after a failure (that failure) and after close (`DestinationClosedError`).
   */
  send (event: S3DestinationEvent): boolean {
    if (this.#failure !== null) throw this.#failure
    if (this.#closed !== null) throw new DestinationClosedError('send() after close() or destroy()')
    validateObject(event, 'event')
    if (event === undefined) throw new InvalidOptionError('event', 'is required')
    validateKnownKeys(event, 'event', EVENT_FIELDS)
    const bucket = validateString(event.bucket, 'event.bucket') ?? this.#bucket
    if (bucket === undefined) throw new InvalidOptionError('event.bucket', 'is required: no options.bucket was given')
    const prefix = event.prefix === undefined ? this.#prefix : normalizePrefix(event.prefix, 'event.prefix')
    if (event.payload === undefined) throw new InvalidOptionError('event.payload', 'is required')
    const onDurable = validateFunction<DurableCallback>(event.onDurable, 'event.onDurable')
    const index = this.#counts.queued
    const line = ndjsonLine(event.payload, index)
    const bytes = Buffer.byteLength(line)
    if (bytes > this.#s.maxBytes) throw new WindowOverflowError(index, bytes, this.#s.maxBytes)
    const route = this.#route(bucket, prefix)
    this.#counts.queued++
    if (!route.write(line.slice(0, -1), event.payload, onDurable)) this.#blocked.add(route)
    return this.#blocked.size === 0
  }

  /** Resolves once `send()` may be called again (at once when no route is full); rejects with the failure. */
  async ready (): Promise<void> {
    if (this.#failure !== null) throw this.#failure
    if (this.#blocked.size === 0) return
    await new Promise<void>((resolve, reject) => {
      this.#waiters.push((err) => { if (err === undefined) resolve(); else reject(err) })
    })
  }

  /**
   * Closes the open batches now and resolves once they are stored. Payloads
   * sent meanwhile start new batches, which this call does not wait for.
   */
  async flush (): Promise<void> {
    const live = [...this.#live]
    for (const route of this.#routes.values()) route.end()
    this.#routes.clear()
    await Promise.all(live.map(async (route) => await route.done))
    if (this.#failure !== null) throw this.#failure
    if (this.#destroyed) throw new DestinationClosedError('destroy() was called before the batches were stored')
  }

  /** Flushes, then stops for good: no timer or (own) client connection is left. Idempotent. */
  async close (): Promise<void> {
    this.#closed ??= this.flush().finally(() => { this.#release() })
    await this.#closed
  }

  /**
   * Stops at once: drops the open batches, aborts uploads in flight (nothing
   * incomplete is stored) and clears every timer. Dropped payloads count as
   * `failed`; no `'error'` is emitted for them.
   */
  async destroy (): Promise<void> {
    this.#destroyed = true
    this.#closed ??= Promise.resolve()
    const live = [...this.#live]
    this.#routes.clear()
    for (const route of live) route.destroy()
    await Promise.all(live.map(async (route) => await route.done))
    this.#release()
  }

  /** A snapshot of the counters. */
  get stats (): S3DestinationStats {
    const { queued, delivered, objects, failed, late, dropped } = this.#counts
    return Object.freeze({ queued, delivered, objects, failed, pending: queued - delivered - failed - dropped, late, dropped })
  }

  /** What `util.inspect` shows: bucket, prefix, routes, state and stats, never the client or its credentials. */
  [inspect.custom] (_depth: number, options: object): string {
    // Only what is safe to log: never the client, its config or credentials.
    const state = this.#closed !== null ? 'closed' : this.#failure !== null ? 'failed' : 'open'
    return `S3Destination ${inspect({ bucket: this.#bucket, prefix: this.#prefix, routes: this.#routes.size, state, stats: this.stats }, options)}`
  }

  #route (bucket: string, prefix: string): Route {
    const id = `${bucket}\u0000${prefix}`
    const existing = this.#routes.get(id)
    if (existing !== undefined) return existing
    const route = new Route(id, bucket, prefix, this.#s, {
      object: (r, written) => { this.#onObject(r, written) },
      drain: (r) => { this.#unblock(r) },
      retry: (retry) => { this.emit('retry', retry) },
      late: (r, { payload, time, watermark, dropped }) => {
        this.#counts.late++
        if (dropped) this.#counts.dropped++
        this.emit('late', { bucket: r.bucket, prefix: r.prefix, payload, time, watermark })
      }
    })
    this.#routes.set(id, route)
    this.#live.add(route)
    void route.done.then((err) => { this.#onDone(route, err) })
    return route
  }

  #onObject (route: Route, written: ObjectWritten): void {
    this.#counts.delivered += written.records
    this.#counts.objects++
    // A route that stored everything it was given has no open batch: retire
    // it, so prefixes used once do not keep a chain alive forever.
    if (route.idle && this.#routes.get(route.id) === route) {
      this.#routes.delete(route.id)
      route.end()
    }
    this.emit('object', written)
  }

  #onDone (route: Route, err: Error | null): void {
    this.#live.delete(route)
    if (this.#routes.get(route.id) === route) this.#routes.delete(route.id)
    this.#counts.failed += route.queued - route.delivered - route.dropped
    const report = err !== null && !this.#destroyed && this.#failure === null
    if (report) this.#failure = err
    this.#unblock(route)
    if (report) this.emit('error', err)
  }

  #unblock (route: Route): void {
    const was = this.#blocked.delete(route)
    const failure = this.#failure ?? undefined
    if (failure === undefined && (!was || this.#blocked.size > 0)) return
    for (const wake of this.#waiters.splice(0)) wake(failure)
    if (failure === undefined) this.emit('drain')
  }

  #release (): void {
    if (this.#ownClient && !this.#released) this.#s.client.destroy()
    this.#released = true
  }
}
