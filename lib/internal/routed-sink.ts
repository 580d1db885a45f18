import type { Transform, Writable } from 'node:stream'
import { systemClock } from '../clock.js'
import { CallbackError } from '../errors.js'
import type { ObjectAbandoned } from '../sinks/object-abandoned.js'
import type { RoutedObjectWritten } from '../sinks/routed-object.js'
import type { SinkSettings } from '../sinks/sink-config.js'
import { s3Writable } from '../sinks/s3-writable.js'
import { filterApis } from '../stages/filter-apis.js'
import { forward } from './batched-sink.js'
import { compressedType } from './compressed-type.js'
import { loadPumpify } from './load-pumpify.js'
import type { RouteSettings } from './route-config.js'
import { RouteKeys } from './route-keys.js'
import { routedStream, type RoutePlan } from './routed-stream.js'
import { runObjects } from './run-objects.js'
import { windowStages } from './window-stages.js'

/** Objects of one Run each are uploaded this many at once by default, as by the per-Run sink. */
const PER_RUN_CONCURRENCY = 8

/** A Run no route took, with `unmatched: 'error'` (the default). */
function unmatchedError (_run: unknown, index: number): CallbackError {
  return new CallbackError('config.routes', `took none of Run ${index}: no route's when() returned true (end with a route without when, which takes every Run, or set unmatched: 'drop' to drop such Runs)`)
}

/** `filterApis → routes (each its windows or its per-Run objects) → s3Writable`: one pool, one backpressure; `'object'` names the route. */
export function routedSink (s: SinkSettings, routes: RouteSettings[]): { sink: Writable, last: Writable } {
  const filter = filterApis({ apisToSend: s.apisToSend, skipOnFail: s.skipOnFail })
  const windows: Transform[] = []
  const plans = routes.map((r, i): RoutePlan => {
    const prefix = s.prefix + r.prefix
    if (r.batched === null) return { name: r.name, when: r.when, stages: [runObjects({ prefix, template: r.template, clock: s.clock ?? systemClock })], option: `config.routes[${i}].when` }
    const { window, stages } = windowStages(r.batched, r.template, prefix, s.clock)
    windows.push(window)
    // The uploader is shared, so a route's encodingHeader is applied to its batches.
    if (r.batched.encodingHeader === false) stages.push(compressedType())
    return { name: r.name, when: r.when, stages, option: `config.routes[${i}].when` }
  })
  // Per-Run objects are small single requests: the per-Run default, as soon as one route writes them.
  const concurrency = s.concurrency ?? (routes.some((r) => r.batched === null) ? PER_RUN_CONCURRENCY : undefined)
  const upload = s3Writable({ client: s.client, bucket: s.bucket, prefix: s.prefix, concurrency, retryFor: s.retryFor, ifNoneMatch: s.ifNoneMatch, clock: s.clock, params: s.params })
  const routeKeys = new RouteKeys()
  const routed = routedStream(plans, { policy: s.unmatched, error: unmatchedError }, (batch, name) => { routeKeys.note(batch, name) })
  const sink = new (loadPumpify().obj)(filter, routed, upload)
  sink.once('finish', () => { sink.destroy() })
  forward(sink, filter, upload, (written): RoutedObjectWritten => ({ ...written, route: routeKeys.take(written.key) ?? '' }))
  // An object given up is not written: its key is forgotten all the same.
  upload.on('abandoned', ({ key }: ObjectAbandoned) => { routeKeys.take(key) })
  for (const window of windows) {
    window.on('late', (late) => sink.emit('late', late))
    window.on('invalid', (invalid) => sink.emit('invalid', invalid))
  }
  // unmatched: 'drop': announced as the filter's drops are (reason 'route').
  routed.on('drop', (drop) => sink.emit('drop', drop))
  return { sink, last: upload }
}
