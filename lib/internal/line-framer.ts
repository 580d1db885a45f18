const NEWLINE = 0x0a

/** What {@link LineFramer.push} found. */
export interface FramedLines {
  /** Whole lines, each ending in a newline. */
  lines: Buffer
  /** Length so far of a trailing line found too long (its rest is dropped as it comes), or `null`. */
  tooLong: number | null
  /** Bytes at the start of the input that were the rest of an earlier too-long line. */
  dropped: number
  /** Bytes of an earlier partial line at the start of `lines`. */
  carried: number
}

/**
 * Reassembles NDJSON lines from byte chunks cut anywhere. A partial line is
 * carried to the next chunk, unless it already exceeds `maxLine`: then it is
 * reported once and its remainder dropped as it streams by, so one runaway
 * line never grows the carry without bound.
 */
export class LineFramer {
  readonly #maxLine: number
  #carry: Buffer | null = null
  #skipping = false

  constructor (maxLine: number) {
    this.#maxLine = maxLine
  }

  /**
   * The complete lines available after `input` (possibly empty), and the
   * length so far of a trailing line found too long, if any. Where the bytes
   * of `input` went: its first `dropped` bytes were the rest of a too-long
   * line, and byte `i` after them is at `i - dropped + carried` in `lines`
   * (or in the carry, past its end), `carried` being the partial line
   * prepended from earlier input.
   */
  push (input: Buffer): FramedLines {
    let buf = input
    let dropped = 0
    if (this.#skipping) {
      const end = buf.indexOf(NEWLINE)
      if (end === -1) return { lines: buf.subarray(0, 0), tooLong: null, dropped: buf.length, carried: 0 }
      this.#skipping = false
      dropped = end + 1
      buf = buf.subarray(dropped)
    }
    const carried = this.#carry?.length ?? 0
    if (this.#carry !== null) buf = Buffer.concat([this.#carry, buf])
    this.#carry = null
    const lastNewline = buf.lastIndexOf(NEWLINE)
    if (lastNewline === buf.length - 1) return { lines: buf, tooLong: null, dropped, carried }
    const rest = buf.subarray(lastNewline + 1)
    const lines = buf.subarray(0, lastNewline + 1)
    if (rest.length <= this.#maxLine) {
      this.#carry = rest
      return { lines, tooLong: null, dropped, carried }
    }
    this.#skipping = true
    return { lines, tooLong: rest.length, dropped, carried }
  }

  /** At the end of input: the last line if it lacked its newline (it is still a record), terminated. */
  end (): Buffer | null {
    const carry = this.#carry
    this.#carry = null
    return carry === null ? null : Buffer.concat([carry, Buffer.of(NEWLINE)])
  }
}
