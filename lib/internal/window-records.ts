import type { PassThrough } from 'node:stream'
import type { DurableCallback } from '../durable.js'
import { WindowOverflowError, type EventTimeError, type SerializationError } from '../errors.js'
import { positionOf, type Position } from '../source-position.js'
import { durableOf } from './durable-callback.js'
import { HEAD_CHARS, type InvalidRecordError } from './invalid-records.js'
import { recordText, type Stringify } from './ndjson-line.js'
import type { PlacedLine, PlacedRecords } from './placed-records.js'
import type { RecordSlots } from './record-slots.js'
import { MAIN, type WindowBatches } from './window-batches.js'
import type { Disposal } from './window-bytes.js'

/** What the window stage lends its record path. */
export interface RecordWindow {
  maxBytes: number
  stringify: Stringify | undefined
  batches: WindowBatches
  slots: RecordSlots
  placed: PlacedRecords
  /** Index of the next record, shared with byte input. */
  counter: { index: number }
  /** Applies `onInvalid` (throws under `'error'`). */
  invalid: (error: InvalidRecordError, about: { record?: unknown, head?: string }, position?: Position) => Disposal
}

/**
 * Writes one record into the window's batches as an NDJSON line: into the
 * main batch, or into its partition's and window's when the stage has field
 * partitions or event time; a record that cannot be serialized or is larger
 * than `maxBytes` follows `onInvalid`. Returns the body written to, so the
 * caller can wait for it to drain.
 */
export function writeRecord (w: RecordWindow, record: unknown): PassThrough | null {
  const index = w.counter.index++
  const callback = durableOf(record)
  const position = positionOf(record)
  let text: string
  try {
    text = recordText(record, index, w.stringify)
  } catch (err) {
    return dispose(w.invalid(err as SerializationError, { record }, position), callback, position)
  }
  const { maxBytes } = w
  // UTF-8 takes at most 3 bytes per UTF-16 unit: the exact size is counted only near maxBytes (the body counts it as it encodes).
  const most = text.length * 3 + 1
  const bytes = most > maxBytes || w.slots.active ? Buffer.byteLength(text) + 1 : -1
  if (bytes > maxBytes) {
    const disposal = w.invalid(new WindowOverflowError(index, bytes, maxBytes), { record, head: (text + '\n').slice(0, HEAD_CHARS) }, position)
    return dispose(disposal, callback, position)
  }
  if (w.slots.active) return writePlaced(w, { record, index, line: text + '\n', bytes, callback, position })
  let open = w.batches.current(MAIN, position)
  // The upper bound decides first; the exact size is counted only when the bound says the line might not fit.
  if (open.bytes + (bytes >= 0 ? bytes : most) > maxBytes && open.bytes + (bytes >= 0 ? bytes : Buffer.byteLength(text) + 1) > maxBytes) {
    w.batches.close()
    open = w.batches.current(MAIN, position)
  }
  open.acks.add(callback, position)
  const written = open.addText(text)
  return w.batches.isFull(open) ? w.batches.close() : written
}

/** A record of a field partition or an event-time window. */
function writePlaced (w: RecordWindow, r: PlacedLine): PassThrough | null {
  try {
    return w.placed.write(r)
  } catch (err) {
    if ((err as { code?: string }).code !== 'ERR_EVENT_TIME') throw err
    return dispose(w.invalid(err as EventTimeError, { record: r.record, head: r.line.slice(0, HEAD_CHARS) }, r.position), r.callback, r.position)
  }
}

/** Hands an invalid record's acknowledgement to where it went; returns the body to wait on. */
function dispose (disposal: Disposal, callback: DurableCallback | undefined, position: Position | undefined): PassThrough | null {
  disposal.ack(callback, position)
  return disposal.body
}
