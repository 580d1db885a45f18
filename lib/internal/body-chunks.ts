import type { PassThrough } from 'node:stream'
import type { BatchStats } from '../batch.js'
import { BodySlabs } from './body-slabs.js'

/**
 * The writer of a batch body: records are encoded straight into a body
 * chunk, which is written once the next record might not fit. Once a block
 * compressor reading the body asks for slabs ({@link BodySlabs}), the chunks
 * are stretches of slabs of its block size, each filled to the last byte (a
 * record may straddle two) and aligned on the slab size in the body.
 * `stats.bytes` counts the exact bytes on the way. Methods that write
 * return the body, so the caller can wait for it to drain.
 *
 * @example
 * ```ts
 * const body = new PassThrough({ highWaterMark: 64 * 1024 })
 * const chunks = new BodyChunks(body, 64 * 1024, { records: 0, bytes: 0 })
 * const written = chunks.add('{"a":1}', true) // null: still coalescing
 * chunks.flush()
 * ```
 */
export class BodyChunks {
  readonly #body: PassThrough
  readonly #chunkSize: number
  readonly #stats: BatchStats
  /** The body chunk being filled: records are encoded straight into it, and it is written once the next one might not fit. */
  #chunk: Buffer | null = null
  #used = 0
  /** Once a block compressor asks (BodySlabs): chunks are stretches of slabs this size, filled to the last byte. */
  #slabSize = 0
  #slab: Buffer | null = null
  /** Bytes of the slab before the chunk being filled. */
  #slabUsed = 0

  /** Writes into `body` in chunks of `chunkSize`, counting bytes in `stats.bytes` (the batch's own stats, kept exact as records come). */
  constructor (body: PassThrough, chunkSize: number, stats: BatchStats) {
    this.#body = body
    this.#chunkSize = chunkSize
    this.#stats = stats
    BodySlabs.offer(body, (size) => { this.#slabSize ||= size })
  }

  /** Adds `text`, and a newline after it when `newline`; returns the body when it wrote into it. */
  add (text: string, newline: boolean): PassThrough | null {
    // UTF-8 takes at most 3 bytes per UTF-16 unit: room for that is room enough.
    const most = text.length * 3 + (newline ? 1 : 0)
    let written: PassThrough | null = null
    if (this.#chunk !== null && this.#used + most > this.#chunk.length) {
      if (this.#atSlabEnd()) return this.#straddle(text, newline)
      written = this.flush()
    }
    if (most > this.#chunkSize) {
      if (this.#slabSize > 0) return this.#straddle(text, newline)
      // Larger than a whole chunk: a chunk of its own.
      const big = Buffer.from(newline ? text + '\n' : text)
      this.#stats.bytes += big.length
      this.#body.write(big)
      return this.#body
    }
    const chunk = this.#chunk ??= this.#nextChunk()
    if (this.#used + most > chunk.length) return this.#straddle(text, newline)
    let n = chunk.write(text, this.#used, most, 'utf8')
    if (newline) chunk[this.#used + n++] = 0x0a
    this.#used += n
    this.#stats.bytes += n
    // Full to the last line's worst case: pass it on now rather than at the next record (at a slab's end, that one straddles).
    if (this.#used + most > chunk.length && !this.#atSlabEnd()) written = this.flush()
    return written
  }

  /** Writes `bytes` as they are, after what is coalesced. */
  addWhole (bytes: Buffer): PassThrough {
    this.flush()
    this.#slab = null // the next slab starts where the body is then, aligned again
    this.#stats.bytes += bytes.length
    this.#body.write(bytes)
    return this.#body
  }

  /** Writes what is coalesced; returns the body when there was any. */
  flush (): PassThrough | null {
    const chunk = this.#chunk
    if (chunk === null || this.#used === 0) return null
    const used = this.#used
    this.#chunk = null
    this.#used = 0
    this.#slabUsed += used
    this.#body.write(used === chunk.length ? chunk : chunk.subarray(0, used))
    return this.#body
  }

  /** A new chunk: its own buffer, or the next stretch of the slab (a new slab, aligned on the slab size in the body, once one is full). */
  #nextChunk (): Buffer {
    if (this.#slabSize === 0) return Buffer.allocUnsafe(this.#chunkSize)
    if (this.#slab === null || this.#slabUsed === this.#slab.length) {
      this.#slab = BodySlabs.alloc(this.#slabSize - this.#stats.bytes % this.#slabSize)
      this.#slabUsed = 0
    }
    return this.#slab.subarray(this.#slabUsed, Math.min(this.#slabUsed + this.#chunkSize, this.#slab.length))
  }

  #atSlabEnd (): boolean {
    return this.#slab !== null && this.#chunk !== null && this.#slabUsed + this.#chunk.length === this.#slab.length
  }

  /** A record over the slab's end (or over a chunk): its bytes fill the slab to the last byte and go on in the next one. */
  #straddle (text: string, newline: boolean): PassThrough {
    const bytes = Buffer.from(newline ? text + '\n' : text)
    for (let at = 0; at < bytes.length;) {
      const chunk = this.#chunk ??= this.#nextChunk()
      const n = bytes.copy(chunk, this.#used, at)
      this.#used += n
      this.#stats.bytes += n
      at += n
      if (this.#used === chunk.length) this.flush()
    }
    return this.#body
  }
}
