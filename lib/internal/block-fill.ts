import type { Readable } from 'node:stream'
import { BlockBuffers } from './block-buffers.js'
import { BodySlabs } from './body-slabs.js'

/** A block handed to its pool job: its buffer, whether that is a slab viewed in place, and the bytes to compress. */
export interface FilledBlock {
  buffer: Buffer
  inPlace: boolean
  bytes: Buffer
}

/**
 * The block a {@link BlockCompressor} fills, and the memory behind it. A
 * body written in slabs ({@link BodySlabs}, asked for once the body is piped
 * in) fills blocks in place: a block is a slab whose chunks arrive one after
 * the other, handed to its job without a copy, and given back to the slabs'
 * pool when the job ends, while the compressor is the body's one reader.
 * Other input is copied into block buffers ({@link BlockBuffers}), reused
 * by this body once their job has ended and given back when it ends.
 *
 * @example
 * ```ts
 * const fill = new BlockFill(1024 * 1024)
 * const n = fill.take(chunk) // bytes of chunk now in the block
 * if (fill.full) { const block = fill.hand(); compress(block.bytes, () => { fill.done(block, true) }) }
 * ```
 */
export class BlockFill {
  /** Bytes in the block being filled. */
  used = 0
  readonly #size: number
  /** Block buffers free for filling. */
  readonly #spare: Buffer[] = []
  #block: Buffer | null = null
  #inPlace = false
  /** The body piped in; null once it has had another reader (its slabs are then not given back). */
  #body: Readable | null = null

  constructor (size: number) {
    this.#size = size
  }

  /** The body piped into the compressor: asked for slabs of the block size. */
  from (body: Readable): void {
    this.#body = body
    BodySlabs.ask(body, this.#size)
  }

  get full (): boolean {
    return this.used === this.#size
  }

  /** Puts the head of `input` into the block, in place when it is or continues a slab block, else copied; returns its length. */
  take (input: Buffer): number {
    // Called while the body is piped in (its pipe's own 'data' listener is one): a reader that came since may keep chunks.
    if (this.#body !== null && this.#body.listenerCount('data') + this.#body.listenerCount('readable') > 1) this.#body = null
    const size = this.#size
    if (this.used === 0 && BodySlabs.isSlab(input) && input.byteOffset + size <= input.buffer.byteLength) {
      this.#block = Buffer.from(input.buffer, input.byteOffset, size)
      this.#inPlace = true
      return this.#add(Math.min(input.length, size))
    }
    if (this.#inPlace) {
      const block = this.#block as Buffer
      if (input.buffer === block.buffer && input.byteOffset === block.byteOffset + this.used) return this.#add(Math.min(input.length, size - this.used))
      // The slab ended early (its writer wrote a buffer of its own): the block goes on as a copy.
      const own = this.#spare.pop() ?? BlockBuffers.take(size)
      block.copy(own, 0, 0, this.used)
      this.#block = own
      this.#inPlace = false
    }
    return this.#add(input.copy(this.#block ??= this.#spare.pop() ?? BlockBuffers.take(size), this.used))
  }

  /** Hands the block to its job; the next input starts a new one. */
  hand (): FilledBlock {
    const buffer = this.#block as Buffer
    const block = { buffer, inPlace: this.#inPlace, bytes: this.used === buffer.length ? buffer : buffer.subarray(0, this.used) }
    this.#block = null
    this.#inPlace = false
    this.used = 0
    return block
  }

  /** `block`'s job has ended without error: the pool thread is done with it. A block buffer is filled again here (`reuse`) or given back. */
  done (block: FilledBlock, reuse: boolean): void {
    if (block.inPlace) BodySlabs.giveBack(block.buffer, this.#body !== null)
    else if (reuse) this.#spare.push(block.buffer)
    else BlockBuffers.keep([block.buffer])
  }

  /** Gives the block buffers back (the body ended or was destroyed); a slab being filled stays its writer's. */
  release (): void {
    BlockBuffers.keep(this.#spare.splice(0))
    if (this.#block !== null && !this.#inPlace) BlockBuffers.keep([this.#block])
    this.#block = null
    this.#inPlace = false
    this.used = 0
  }

  #add (n: number): number {
    this.used += n
    return n
  }
}
