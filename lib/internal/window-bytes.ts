import type { PassThrough } from 'node:stream'
import { WindowOverflowError, type LineParseError } from '../errors.js'
import { callDurable, type AckCaller } from './durable-callback.js'
import { HEAD_CHARS, parseError, type InvalidRecordError } from './invalid-records.js'
import type { LineFramer } from './line-framer.js'
import type { MarkRouter, MarkSink } from './line-marks.js'
import type { Position } from '../source-position.js'
import type { OpenBatch } from './open-batch.js'
import { MAIN, type WindowBatches } from './window-batches.js'

const NEWLINE = 0x0a

/** Where an invalid record went: the body to wait on (a dead-letter batch's), and where its acknowledgement goes. */
export interface Disposal {
  body: PassThrough | null
  ack: MarkSink
}

/** What the window stage lends its byte path. */
export interface ByteWindow {
  maxBytes: number
  maxRecords: number
  validateLines: boolean
  batches: WindowBatches
  framer: LineFramer
  marks: MarkRouter
  /** Index of the next record, shared with record input. */
  counter: { index: number }
  /** Applies `onInvalid` (throws under `'error'`). */
  invalid: (error: InvalidRecordError, about: { head?: string }, position?: Position) => Disposal
}

/**
 * Writes NDJSON byte input into the window's batches: whole lines, in runs
 * that fit the open batch, with each line's marks (acknowledgement,
 * position) going where the line went. Returns the last body written to, so
 * the caller can wait for it to drain.
 */
export function writeBytes (w: ByteWindow, input: Uint8Array): PassThrough | null {
  const framed = w.framer.push(Buffer.from(input.buffer, input.byteOffset, input.byteLength))
  const { lines: buf, tooLong } = framed
  const marks = w.marks
  marks.start(input, framed)
  const { maxBytes, maxRecords } = w
  let start = 0
  let last: PassThrough | null = null
  while (start < buf.length) {
    const lineEnd = buf.indexOf(NEWLINE, start) + 1
    if (lineEnd - start > maxBytes) {
      const head = buf.toString('utf8', start, Math.min(lineEnd, start + HEAD_CHARS))
      const disposal = w.invalid(new WindowOverflowError(w.counter.index++, lineEnd - start, maxBytes), { head }, marks.peekPosition(lineEnd))
      marks.take(lineEnd, disposal.ack)
      last = disposal.body ?? last
      start = lineEnd
      continue
    }
    const parseFailure = w.validateLines ? parseError(buf, start, lineEnd, w.counter.index) : null
    if (parseFailure !== null) {
      const disposal = w.invalid(parseFailure, { head: buf.toString('utf8', start, Math.min(lineEnd, start + HEAD_CHARS)) }, marks.peekPosition(lineEnd))
      marks.take(lineEnd, disposal.ack)
      last = disposal.body ?? last
      w.counter.index++
      start = lineEnd
      continue
    }
    // The longest run of whole lines from `start` that fits the open batch.
    const open = w.batches.current(MAIN, marks.peekPosition(lineEnd))
    const roomBytes = maxBytes - open.bytes
    const roomRecords = maxRecords - open.stats.records
    let end = start
    let lines = 0
    let bad: LineParseError | null = null
    while (end < buf.length && lines < roomRecords) {
      const next = buf.indexOf(NEWLINE, end) + 1
      if (next - start > roomBytes) break
      // The first line was checked before the batch was opened.
      if (w.validateLines && end > start && (bad = parseError(buf, end, next, w.counter.index + lines)) !== null) break
      end = next
      lines++
    }
    if (lines === 0) {
      // Full: the first line fits an empty batch, so the next round writes it.
      w.batches.close()
      continue
    }
    marks.take(end, acksOf(open))
    last = open.writeLines(buf.subarray(start, end), lines)
    w.counter.index += lines
    start = end
    if (bad !== null) continue // the bad line comes first in the next round
    if (start < buf.length || w.batches.isFull(open)) w.batches.close()
  }
  // A line already too long before its end arrived: reported now, its rest dropped as it comes.
  let tooLongAck: MarkSink | null = null
  if (tooLong !== null) {
    const disposal = w.invalid(new WindowOverflowError(w.counter.index++, tooLong, maxBytes), {})
    tooLongAck = disposal.ack
    last = disposal.body ?? last
  }
  marks.finish(buf.length, tooLongAck)
  return last
}

/** Adds acknowledgements to a batch; one that runs at once (the object is already stored) and throws fails the window. */
export function acksOf (open: OpenBatch): MarkSink {
  return (callback, position) => {
    const error = open.acks.add(callback, position)
    if (error !== null) throw error
  }
}

/**
 * A skipped record is let go on purpose: acknowledged at once. An async
 * acknowledgement that rejects fails `window` (the stage letting it go), as
 * a throw does.
 */
export function ackAtOnce (window: AckCaller): MarkSink {
  return (callback) => {
    if (callback === undefined) return
    const error = callDurable(callback, window)
    if (error !== null) throw error
  }
}
