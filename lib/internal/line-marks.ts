import type { DurableCallback } from '../durable.js'
import type { Position } from '../source-position.js'
import type { FramedLines } from './line-framer.js'

/**
 * What one NDJSON line of byte input carries that its bytes cannot: the
 * record's acknowledgement and position. `end` is the offset just past the
 * line's newline in the chunk the mark is attached to.
 */
export interface LineMark {
  end: number
  callback?: DurableCallback
  position?: Position
}

/** Where a mark goes: the batch its line landed in, or the fate of an invalid line. */
export type MarkSink = (callback: DurableCallback | undefined, position: Position | undefined) => void

const MARKS = Symbol.for('s3-stream-sink.lineMarks')

/**
 * Attaches `marks` to a chunk of NDJSON bytes (`serialize()` does, for the
 * records that carry an acknowledgement or a position). They travel with the
 * Buffer itself, which streams pass on as is in flowing mode (`pipe`,
 * `pipeline`); a stage that concatenates or copies chunks loses them.
 */
export function markLines (chunk: Buffer, marks: readonly LineMark[]): Buffer {
  if (marks.length > 0) Object.defineProperty(chunk, MARKS, { value: marks })
  return chunk
}

/** The marks attached to a chunk, if any. */
export function lineMarksOf (chunk: Uint8Array): readonly LineMark[] | undefined {
  return (chunk as { [MARKS]?: readonly LineMark[] })[MARKS]
}

/**
 * Follows the marks of byte input through the window's line framing: a
 * mark belongs to the first line whose end is at or after it, whether that
 * line was whole in its chunk, carried over from earlier chunks, or too long
 * (its rest dropped as it streams by). Offsets are in the framed `lines`.
 */
export class MarkRouter {
  #marks: LineMark[] = []
  #next = 0
  #carried: LineMark[] = []
  /** The fate of the too-long line whose rest is being dropped. */
  #late: MarkSink | null = null

  /** Takes the marks of one input chunk, as framed; those of a dropped too-long line go where that line went. */
  start (input: Uint8Array, framed: FramedLines): void {
    const marks = this.#carried
    this.#carried = []
    for (const mark of lineMarksOf(input) ?? []) {
      if (mark.end <= framed.dropped) this.#late?.(mark.callback, mark.position)
      else marks.push({ ...mark, end: mark.end - framed.dropped + framed.carried })
    }
    this.#marks = marks
    this.#next = 0
  }

  /** Position of the next mark if it belongs to a line ending at or before `end`. */
  peekPosition (end: number): Position | undefined {
    const mark = this.#marks[this.#next]
    return mark !== undefined && mark.end <= end ? mark.position : undefined
  }

  /** Sends the marks of the lines ending at or before `end` to `sink`. */
  take (end: number, sink: MarkSink): void {
    const marks = this.#marks
    while (this.#next < marks.length && marks[this.#next]!.end <= end) {
      const mark = marks[this.#next++]!
      sink(mark.callback, mark.position)
    }
  }

  /**
   * After the chunk's whole lines (`linesLength` bytes): the marks left
   * belong to the partial line carried to the next chunk, or to a too-long
   * line, whose fate `tooLong` is (it also takes the marks of its rest).
   */
  finish (linesLength: number, tooLong: MarkSink | null): void {
    // Only marks of the too-long line's rest are ever dropped, so the last one reported is theirs.
    if (tooLong !== null) this.#late = tooLong
    const rest = this.#marks.slice(this.#next)
    this.#marks = []
    this.#next = 0
    if (tooLong !== null) {
      for (const mark of rest) tooLong(mark.callback, mark.position)
    } else {
      this.#carried = rest.map((mark) => ({ ...mark, end: mark.end - linesLength }))
    }
  }
}
