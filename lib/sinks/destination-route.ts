import { pipeline, type Transform, type Writable } from 'node:stream'
import type { S3Client } from '@aws-sdk/client-s3'
import type { Clock } from '../clock.js'
import { onDurable, type DurableCallback } from '../durable.js'
import type { CompressionSettings } from '../internal/compression.js'
import { compressStage } from '../stages/compress.js'
import { keyRotate } from '../stages/key-rotate.js'
import { minuteWindow } from '../stages/minute-window.js'
import type { KeyTemplate } from '../key-template.js'
import { readPath } from '../internal/key-segment.js'
import type { UploadRetry } from '../internal/retry-events.js'
import type { ManifestOptions } from './manifest-options.js'
import type { ObjectWritten } from './object-written.js'
import { s3Writable } from './s3-writable.js'
import type { UploadParams } from './upload-params.js'

/** What every route of one destination shares: the client and the stage settings. */
export interface RouteSettings {
  client: S3Client
  clock: Clock
  params: UploadParams
  windowMs: number
  maxBytes: number
  maxRecords: number | undefined
  compression: CompressionSettings
  encodingHeader: boolean
  partSize: number
  queueSize: number
  concurrency: number
  abortTimeout: number
  retryFor: number
  ifNoneMatch: boolean
  template: KeyTemplate | undefined
  timeOf: ((payload: unknown) => number) | undefined
  allowedLatenessMs: number | undefined
  onLate: 'partition' | 'drop' | 'error' | undefined
  idleTimeoutMs: number | undefined
  chunkSize: number | undefined
  maxOpenPartitions: number | undefined
  manifests: boolean | ManifestOptions | undefined
}

/** How a route reports to its destination. */
export interface RouteHooks {
  object: (route: Route, written: ObjectWritten) => void
  drain: (route: Route) => void
  retry: (retry: UploadRetry) => void
  /** A payload later than `allowedLatenessMs` (stored under `late/`, or dropped), with its event time and the watermark it missed. */
  late: (route: Route, late: { payload: unknown, time: number, watermark: number, dropped: boolean }) => void
}

// send() serializes (and validates) every payload itself, so the window gets
// JSON text and must pass it through untouched; a payload with an
// acknowledgement travels as `{ line, [onDurable] }`.
/** What the window receives when it needs more than the line. */
interface Wrapped { line: string, payload: unknown }

const asLine = (record: unknown): string => typeof record === 'string' ? record : (record as { line: string }).line

/**
 * One (bucket, prefix) pair of an S3 destination: its own chain
 * `minuteWindow → compress → keyRotate → s3Writable`, created when the first
 * payload for the pair arrives and ended by `flush()`, `close()` or when it
 * has delivered everything it was given.
 *
 * @example
 * ```ts
 * const route = new Route('logs\u0000app/', 'logs', 'app/', settings, { object: onObject, drain: onDrain })
 * route.write('{"a":1}') // false: wait for hooks.drain
 * route.end()
 * const err = await route.done
 * ```
 */
export class Route {
  readonly bucket: string
  readonly prefix: string
  /** Identity of the pair in the destination's route table. */
  readonly id: string
  /** Payloads written into this chain. */
  queued = 0
  /** Payloads this chain has stored in S3. */
  delivered = 0
  /** Late payloads `onLate: 'drop'` left out (acknowledged, never stored). */
  dropped = 0
  /** The last write() returned false and no 'drain' came yet. */
  blocked = false
  /** Resolves once the chain has finished or failed, with its error or `null`; never rejects. */
  readonly done: Promise<Error | null>
  readonly #window: Transform
  /** The window takes payloads (partitions, event time) rather than lines. */
  readonly #payloads: boolean
  readonly #sink: Writable

  constructor (id: string, bucket: string, prefix: string, settings: RouteSettings, hooks: RouteHooks) {
    this.id = id
    this.bucket = bucket
    this.prefix = prefix
    const { clock, windowMs, maxBytes, maxRecords, chunkSize, template, timeOf, allowedLatenessMs, onLate, idleTimeoutMs, maxOpenPartitions } = settings
    // Partitions and event time read the payload, which travels beside its line.
    const fields = template?.fields ?? []
    this.#payloads = fields.length > 0 || timeOf !== undefined
    this.#window = minuteWindow({
      clock, windowMs, maxBytes, maxRecords, chunkSize, maxOpenPartitions,
      stringify: asLine,
      ...(fields.length === 0 ? {} : { partitionBy: (r: unknown) => Object.fromEntries(fields.map((f) => [f, readPath((r as Wrapped).payload, f.split('.'))])) }),
      ...(timeOf === undefined ? {} : { timeOf: (r: unknown) => timeOf((r as Wrapped).payload), allowedLatenessMs, onLate, idleTimeoutMs })
    })
    const sink = this.#sink = s3Writable({
      client: settings.client,
      bucket,
      partSize: settings.partSize,
      queueSize: settings.queueSize,
      concurrency: settings.concurrency,
      abortTimeout: settings.abortTimeout,
      params: settings.params,
      encodingHeader: settings.encodingHeader,
      retryFor: settings.retryFor,
      ifNoneMatch: settings.ifNoneMatch,
      clock,
      prefix,
      ...(settings.manifests === undefined ? {} : { manifests: settings.manifests })
    })
    sink.on('retry', hooks.retry)
    sink.on('object', (written: ObjectWritten) => {
      this.delivered += written.records
      hooks.object(this, written)
    })
    this.#window.on('late', ({ record, time, watermark }: { record: unknown, time: number, watermark: number }) => {
      // A dropped payload is done with: never delivered, and not lost either.
      const dropped = onLate === 'drop'
      if (dropped) this.dropped++
      hooks.late(this, { payload: (record as Wrapped).payload, time, watermark, dropped })
    })
    this.#window.on('drain', () => {
      this.blocked = false
      hooks.drain(this)
    })
    this.done = new Promise((resolve) => {
      pipeline(this.#window, compressStage(settings.compression, 'createS3Destination()'), keyRotate({ prefix, ...(settings.template === undefined ? {} : { keyTemplate: settings.template }) }), sink, (err) => {
        resolve(err ?? null)
      })
    })
  }

  /** Queues one NDJSON line (without its newline) of `payload`, and its acknowledgement; `false` means: wait for 'drain'. */
  write (line: string, payload: unknown, durable?: DurableCallback): boolean {
    this.queued++
    // A bare line when nothing else is needed; else a wrapper the window reads fields, time and acknowledgement from.
    const ok = this.#window.write(durable === undefined && !this.#payloads ? line : { line, payload, ...(durable === undefined ? {} : { [onDurable]: durable }) })
    if (!ok) this.blocked = true
    return ok
  }

  /** Every payload written has been stored (or dropped as late): no open batch, nothing in flight. */
  get idle (): boolean {
    return this.queued === this.delivered + this.dropped && !this.blocked
  }

  /** Closes the open batch now; `done` resolves once it is uploaded. */
  end (): void {
    this.#window.end()
  }

  /** Drops the open batch and aborts uploads in flight; nothing incomplete is stored. */
  destroy (): void {
    // Both ends: after end() the window may be finished while the sink still uploads.
    this.#window.destroy()
    this.#sink.destroy()
  }
}
