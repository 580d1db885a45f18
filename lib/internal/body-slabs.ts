import type { Readable } from 'node:stream'
import { BlockBuffers } from './block-buffers.js'

/** The ArrayBuffers of slabs: bytes of one written into a body are never written again. */
const slabs = new WeakSet<ArrayBufferLike>()
/** Bodies whose writer can encode into slabs, and how to ask it to. */
const writers = new WeakMap<Readable, (size: number) => void>()

/**
 * Slabs: buffers a batch body's writer (the window's {@link BodyChunks})
 * encodes its records into one after the other, handing each stretch on
 * as a chunk that is a view of the slab, so the chunks of one slab are
 * contiguous in memory. A block compressor reading the body asks for slabs
 * of its block size and takes a slab's chunks as its block in place instead
 * of copying them into a block buffer of its own (one copy of every body
 * byte on the busy main thread, ~0.1 µs/record with zstd, bench/RESULTS.md
 * round 10). The writer fills every slab to the last byte (a record may
 * straddle two) and aligns slabs on block boundaries of the body, so blocks
 * are cut where they were: the output is the same bytes.
 *
 * The contract that makes it safe: the writer never writes a byte of a slab
 * again once it is in a chunk, and takes a new slab rather than reuse one,
 * so the pool job reading a block needs no copy. A slab lives as long as
 * any chunk or block viewing it: its block's pool job, at most.
 *
 * @example
 * ```ts
 * BodySlabs.offer(body, (size) => { slabSize = size }) // the writer
 * BodySlabs.ask(body, 1024 * 1024) // the compressor the body is piped into
 * const slab = BodySlabs.alloc(1024 * 1024) // the writer, when it starts one
 * BodySlabs.isSlab(chunk) // the compressor: may it keep this chunk in place?
 * ```
 */
export const BodySlabs = {
  /** Says `body`'s writer can encode into slabs, `onAsk` switching it over. */
  offer (body: Readable, onAsk: (size: number) => void): void {
    writers.set(body, onAsk)
  },

  /** Asks `body`'s writer, if it can, to encode from now on into slabs of `size` bytes aligned on `size` in the body. */
  ask (body: Readable, size: number): void {
    writers.get(body)?.(size)
  },

  /** A slab of `size` bytes, its own ArrayBuffer: one given back, or a new one. */
  alloc (size: number): Buffer {
    const slab = BlockBuffers.take(size)
    slabs.add(slab.buffer)
    return slab
  },

  /**
   * Gives `slab` back for a later one, once the pool job that read it as a
   * block has ended: only a whole slab (a part of one may be viewed by the
   * next block still), and only while the compressor is the body's one
   * reader, `sole` (another one may keep chunks, which must stay as they were).
   */
  giveBack (slab: Buffer, sole: boolean): void {
    if (!sole || slab.byteOffset !== 0 || slab.length !== slab.buffer.byteLength) return
    slabs.delete(slab.buffer) // a block buffer again until taken for a slab
    BlockBuffers.keep([slab])
  },

  /** Tells whether `chunk` is a view of a slab. */
  isSlab (chunk: Buffer): boolean {
    return slabs.has(chunk.buffer)
  }
}
