/**
 * A part's buffer starts this small when no spare is at hand, and moves into
 * a spare as soon as one is free. The first part's grows fourfold as it
 * fills (64 KiB, 256 KiB, 1 MiB, then the part): most batches are far
 * smaller than a part, and each would otherwise reserve (and count as V8
 * external memory) a whole `partSize`. A later part fills a small buffer
 * while the previous one is being sent, until that part's buffer is free
 * again: when the store answers a part before the next has
 * {@link SPARE_WAIT}, one part buffer serves the whole object instead of two.
 */
const FIRST_BUFFER = 64 * 1024
/**
 * How far a later part waits in small buffers for a spare before taking a
 * whole `partSize` of its own: at most 320 KiB of short-lived garbage per
 * part when the store is slow to answer (a spare at 1 MiB, as for the first
 * part, cost 1.3 MiB per part, long-lived enough to reach old space).
 */
const SPARE_WAIT = 256 * 1024

/**
 * The buffers one object's parts are filled in: a part starts in a spare
 * (the buffer of a part S3 has acknowledged) or in a small buffer that grows
 * as it fills, so a small object holds a small buffer and a store that
 * answers quickly lets one buffer serve every part.
 */
export class PartBuffers {
  readonly #partSize: number
  readonly #spare: Buffer[] = []

  constructor (partSize: number) {
    this.#partSize = partSize
  }

  /** A buffer for a part that starts now. */
  start (): Buffer {
    return this.#spare.pop() ?? Buffer.allocUnsafeSlow(Math.min(this.#partSize, FIRST_BUFFER))
  }

  /** `part`, full, copied into a spare or a larger buffer; `first`: the object's first part. */
  grow (part: Buffer, first: boolean): Buffer {
    const into = this.#spare.pop() ?? Buffer.allocUnsafeSlow(this.#larger(part.length, first))
    part.copy(into)
    return into
  }

  /** A part's buffer S3 has acknowledged: free for a later part. */
  release (buffer: Buffer): void {
    this.#spare.push(buffer)
  }

  /** Every part is answered: the upload may be kept a while (its outcome, its checksum), its buffers need not be. */
  clear (): void {
    this.#spare.length = 0
  }

  /** The next size of a part's buffer of `size`: fourfold, or the whole part once the first part is 1 MiB or a later one {@link SPARE_WAIT}. */
  #larger (size: number, first: boolean): number {
    const partSize = this.#partSize
    return (first ? 8 * size > partSize : size >= SPARE_WAIT) ? partSize : Math.min(partSize, 4 * size)
  }
}
