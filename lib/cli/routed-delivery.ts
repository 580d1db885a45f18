import type { Transform, Writable } from 'node:stream'
import type { S3Client } from '@aws-sdk/client-s3'
import type { Clock } from '../clock.js'
import { CallbackError, InvalidOptionError } from '../errors.js'
import { readPath } from '../internal/key-segment.js'
import { normalizePrefix } from '../internal/object-key.js'
import { RouteKeys } from '../internal/route-keys.js'
import { routedStream, type RoutePlan } from '../internal/routed-stream.js'
import { runObjects } from '../internal/run-objects.js'
import type { CliOptions } from './cli-options.js'
import { cliTemplate } from './cli-template.js'
import { batchSink } from './batch-sink.js'
import { batchStages } from './batch-stages.js'
import { asFlags } from './flag-errors.js'
import type { InputRecord } from './ndjson-lines.js'
import { skipInvalid } from './per-record.js'
import type { Progress } from './progress.js'
import type { CliRoute, RouteCondition } from './route-args.js'

/** Objects of one Run each are uploaded this many at once by default, as with --per-record. */
const PER_RUN_CONCURRENCY = 8

/**
 * `--route`: every route's stages (its batches, or one object per Run) feed
 * one routed stream, and one sink (`s3Writable()` or --out-dir) uploads them
 * all: one pool, one backpressure. The batch flags are every batched route's
 * defaults; a route's own settings win, and their errors name them
 * (`--route runs:window-ms`). Counts each route's objects into
 * `progress.objectsByRoute`.
 *
 * @example
 * ```ts
 * const { stages, sink } = routedDelivery(options, options.routes, client, clock, progress)
 * await pipeline(input, filter, ...stages, sink)
 * ```
 */
export function routedDelivery (options: CliOptions, routes: CliRoute[], client: S3Client | undefined, clock: Clock, progress: Progress): { stages: Transform[], sink: Writable } {
  const base = asFlags(() => normalizePrefix(options.prefix, 'options.prefix'))
  const plans = routes.map((route): RoutePlan => {
    const prefix = base + asRoute(route, ['prefix'], () => normalizePrefix(route.prefix, 'options.prefix'))
    const own = { ...options, prefix, keyTemplate: route.keyTemplate ?? options.keyTemplate }
    const template = asRoute(route, ['key-template'], () => cliTemplate(own))
    const stages = route.perRecord
      ? [runObjects({ prefix, template, clock, runOf: (r) => (r as InputRecord).value })]
      : asRoute(route, ['compression', 'compression-level', 'window-ms', 'max-records', 'max-bytes', 'key-template', 'prefix'], () => batchStages(routeOptions(own, route), clock, progress))
    return { name: route.name, when: matcher(route.when), stages, option: `--route ${route.name}:when` }
  })
  const concurrency = options.concurrency ?? (routes.some((r) => r.perRecord) ? PER_RUN_CONCURRENCY : undefined)
  const sink = batchSink({ ...options, concurrency }, client, clock)
  const routeKeys = new RouteKeys()
  const byRoute = new Map(routes.map((r) => [r.name, 0]))
  progress.objectsByRoute = byRoute
  sink.on('object', ({ key }: { key: string }) => {
    const route = routeKeys.take(key)
    if (route !== undefined) byRoute.set(route, (byRoute.get(route) ?? 0) + 1)
  })
  sink.on('abandoned', ({ key }: { key: string }) => { routeKeys.take(key) })
  // Only --on-invalid skip lets an invalid line this far: no route could read its fields.
  const skip = skipInvalid(() => { progress.invalid++ })
  const routed = routedStream(plans, { policy: options.unmatched, error: unmatchedError }, (batch, name) => { routeKeys.note(batch, name) })
  // --unmatched drop: what no route took is counted in the summary, not lost silently.
  routed.on('drop', () => { progress.unmatched++ })
  return { stages: [skip, routed], sink }
}

/** A record no route took, without --unmatched drop: where it was read, and the flags that would take it. */
function unmatchedError (record: unknown): CallbackError {
  const { file, line } = record as InputRecord
  return new CallbackError('--route', `took none of ${file}:${line}: no route's when= matched it (end with a --route without when=, which takes every record, or give --unmatched drop to leave such records out; the summary counts them)`)
}

/** The options a batched route runs with: its own settings over the batch flags. */
function routeOptions (options: CliOptions, route: CliRoute): CliOptions {
  const compression = route.compression ?? options.compression
  // A level, thread count or block size given for the global compression may not fit the route's.
  const sameCompression = route.compression === undefined || route.compression === options.compression
  return {
    ...options,
    compression,
    level: route.level ?? (sameCompression ? options.level : undefined),
    threads: sameCompression ? options.threads : undefined,
    blockSize: sameCompression ? options.blockSize : undefined,
    gzipChunkSize: sameCompression ? options.gzipChunkSize : undefined,
    windowMs: route.windowMs ?? options.windowMs,
    maxRecords: route.maxRecords ?? options.maxRecords,
    maxBytes: route.maxBytes ?? options.maxBytes
  }
}

/** A route's conditions as its `when`: the parsed line's field, compared as text. */
function matcher (conditions: RouteCondition[]): ((record: unknown) => boolean) | undefined {
  if (conditions.length === 0) return undefined
  return (record) => conditions.every(({ path, equals, value }) => (textOf(readPath((record as InputRecord).value, path)) === value) === equals)
}

function textOf (value: unknown): string | undefined {
  if (value === undefined) return undefined
  return typeof value === 'string' ? value : JSON.stringify(value)
}

/** Errors of a route's own settings name them (`--route runs:window-ms`); the rest name the global flag. */
function asRoute<T> (route: CliRoute, settings: string[], build: () => T): T {
  try {
    return build()
  } catch (err) {
    if (!(err instanceof InvalidOptionError)) throw err
    const setting = err.option.replace(/^(--|options\.)/, '').replace(/[A-Z]/g, (c) => `-${c.toLowerCase()}`).replace(/^level$/, 'compression-level')
    const fromRoute = settings.includes(setting) && route[fieldOf(setting)] !== undefined
    if (!fromRoute) throw err
    throw new InvalidOptionError(`--route ${route.name}:${setting}`, err.message.slice(err.option.length + 1))
  }
}

function fieldOf (setting: string): keyof CliRoute {
  return ({ 'key-template': 'keyTemplate', 'compression-level': 'level', 'window-ms': 'windowMs', 'max-records': 'maxRecords', 'max-bytes': 'maxBytes' } as Record<string, keyof CliRoute>)[setting] ?? setting as keyof CliRoute
}
