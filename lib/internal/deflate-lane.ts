import * as zlib from 'node:zlib'
import type { BlockDone } from './block-done.js'
import type { ZlibEngine } from './zlib-engine.js'

/** Output pieces copied out of a lane: one stream's chunk size, small enough for malloc's heap and its free lists. */
const PIECE = 64 * 1024
/** Idle lanes kept per setting for the next body (two bodies compressing at once with two blocks each). */
const KEEP = 4

/** node:zlib's stream fields behind its output buffer (Node 20 to 24); absent, a lane only loses the rewinding. */
interface OutputCursor { _outOffset?: unknown }

/** Idle lanes by `level/room`. */
const idle = new Map<string, DeflateLane[]>()

/**
 * One raw-deflate engine reused block after block: deflate's state (~270 KB,
 * calloc'ed and cleared when an engine is made) and its output buffer are
 * allocated once per lane, not per block. Each block is ONE job on zlib's
 * pool: the engine is reset first (no match reaches back into a block it
 * compressed before, whose bytes are not the ones before this block in the
 * stream), the block is written whole with a sync flush (so it ends on a
 * byte), and the output buffer, rewound to its start, has room for
 * deflate's worst case (so zlib never comes back through the main thread
 * for more room). The output is copied out in 64 KiB pieces before the
 * next job can overwrite it; a copy of ~a quarter of the input costs less
 * than the big buffer per block it replaces, which aged into V8's old space
 * and glibc's main heap before it was freed.
 *
 * Lanes outlive their body: {@link DeflateLane.take} hands out an idle one
 * with the same settings when there is one, {@link DeflateLane.release}
 * keeps up to four for the next body.
 *
 * @example
 * ```ts
 * const lane = DeflateLane.take(6, 1024 * 1024 + 4096)
 * lane.run(block, (err, out) => { lane.release() })
 * ```
 */
export class DeflateLane {
  readonly #key: string
  readonly #engine: ZlibEngine
  #pieces: Buffer[] = []
  #done: BlockDone | null = null
  #used = false
  #broken = false

  /** An idle lane at `level` whose output buffer holds `room` bytes (deflate's worst case for a block), or a new one. */
  static take (level: number, room: number): DeflateLane {
    return idle.get(`${level}/${room}`)?.pop() ?? new DeflateLane(level, room)
  }

  private constructor (level: number, room: number) {
    this.#key = `${level}/${room}`
    this.#engine = zlib.createDeflateRaw({ level, chunkSize: room, flush: zlib.constants.Z_SYNC_FLUSH }) as ZlibEngine
    // reset() builds the deflate state now, on this thread (throwing here on settings zlib refuses): built by the first
    // job, it came from a pool thread's malloc arena.
    this.#engine.reset()
    this.#engine.on('data', (view: Buffer) => { this.#copy(view) })
    this.#engine.on('error', (err: Error) => { this.#end(err) })
  }

  /** Compresses `block` whole (one pool job), then `done` with its output; `block` must stay untouched until then. */
  run (block: Buffer, done: BlockDone): void {
    if (this.#used) this.#engine.reset()
    this.#used = true
    const cursor = this.#engine as unknown as OutputCursor
    // The last block's output was copied out: its bytes may be overwritten, and the whole buffer is room again.
    if (typeof cursor._outOffset === 'number') cursor._outOffset = 0
    this.#done = done
    this.#engine.write(block, (err) => { this.#end(err ?? null) })
  }

  /** Back to the idle lanes once its job has ended (a lane whose job failed is closed instead). */
  release (): void {
    const lanes = idle.get(this.#key) ?? []
    if (this.#broken || this.#done !== null || lanes.length >= KEEP) {
      this.#engine.close()
      return
    }
    lanes.push(this)
    idle.set(this.#key, lanes)
  }

  #copy (view: Buffer): void {
    for (let at = 0; at < view.length; at += PIECE) {
      const piece = view.subarray(at, at + PIECE)
      this.#pieces.push(Buffer.from(piece))
    }
  }

  #end (err: Error | null): void {
    const done = this.#done
    if (done === null) return
    this.#done = null
    const pieces = this.#pieces
    this.#pieces = []
    // Output still buffered in the engine would belong to this block: its readable side is flowing, so it never is.
    if (err === null && this.#engine.readableLength > 0) err = new Error('deflate output left in the engine after its job')
    if (err !== null) this.#broken = true
    done(err, pieces)
  }
}
