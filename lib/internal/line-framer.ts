const NEWLINE = 0x0a

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
   * length so far of a trailing line found too long, if any.
   */
  push (input: Buffer): { lines: Buffer, tooLong: number | null } {
    let buf = input
    if (this.#skipping) {
      const end = buf.indexOf(NEWLINE)
      if (end === -1) return { lines: buf.subarray(0, 0), tooLong: null }
      this.#skipping = false
      buf = buf.subarray(end + 1)
    }
    if (this.#carry !== null) buf = Buffer.concat([this.#carry, buf])
    this.#carry = null
    const lastNewline = buf.lastIndexOf(NEWLINE)
    if (lastNewline === buf.length - 1) return { lines: buf, tooLong: null }
    const rest = buf.subarray(lastNewline + 1)
    const lines = buf.subarray(0, lastNewline + 1)
    if (rest.length <= this.#maxLine) {
      this.#carry = rest
      return { lines, tooLong: null }
    }
    this.#skipping = true
    return { lines, tooLong: rest.length }
  }

  /** At the end of input: the last line if it lacked its newline (it is still a record), terminated. */
  end (): Buffer | null {
    const carry = this.#carry
    this.#carry = null
    return carry === null ? null : Buffer.concat([carry, Buffer.of(NEWLINE)])
  }
}
