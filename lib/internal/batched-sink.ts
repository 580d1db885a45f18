import type { Writable } from 'node:stream'
import type { SinkSettings } from '../sinks/sink-config.js'
import type { ObjectWritten } from '../sinks/object-written.js'
import { s3Writable } from '../sinks/s3-writable.js'
import { filterApis } from '../stages/filter-apis.js'
import { loadPumpify } from './load-pumpify.js'
import { windowStages } from './window-stages.js'

/**
 * The batched sink: `filterApis → minuteWindow → compress → keyRotate →
 * s3Writable` as one writable. pumpify, not `stream.compose`: on Node 20, a composed stream whose last
 * stream fails in `final` (an upload failing after the input ended) still
 * emits `'finish'`, so `pipeline()` would resolve over a lost object.
 */
export function batchedSink (s: SinkSettings): { sink: Writable, last: Writable } {
  const batched = s.batched ?? {}
  const { encodingHeader, manifests } = batched
  const filter = filterApis({ apisToSend: s.apisToSend, skipOnFail: s.skipOnFail })
  const upload = s3Writable({
    client: s.client, bucket: s.bucket, prefix: s.prefix, concurrency: s.concurrency, encodingHeader, retryFor: s.retryFor, ifNoneMatch: s.ifNoneMatch, clock: s.clock, manifests, params: s.params
  })
  const { window, stages } = windowStages(batched, s.template, s.prefix, s.clock)
  const sink = new (loadPumpify().obj)(filter, ...stages, upload)
  // pumpify never closes after a clean finish; core streams do (autoDestroy), so this one does too.
  sink.once('finish', () => { sink.destroy() })
  forward(sink, filter, upload)
  upload.on('manifest', (manifest) => sink.emit('manifest', manifest))
  window.on('late', (late) => sink.emit('late', late))
  window.on('invalid', (invalid) => sink.emit('invalid', invalid))
  return { sink, last: upload }
}

/** The events of the inner streams, re-emitted by the sink; `written` may add to what `'object'` carries. */
export function forward (sink: Writable, filter: Writable, upload: Writable, written: (object: ObjectWritten) => ObjectWritten = (object) => object): void {
  filter.on('drop', (drop) => sink.emit('drop', drop))
  upload.on('object', (object: ObjectWritten) => sink.emit('object', written(object)))
  upload.on('retry', (retry) => sink.emit('retry', retry))
  upload.on('abandoned', (abandoned) => sink.emit('abandoned', abandoned))
}
