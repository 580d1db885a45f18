import { systemClock, type Clock } from '../clock.js'

/** Block buffers kept for the next body: the blocks in flight of two bodies compressing at once, at the default settings. */
const KEEP_BYTES = 6 * 1024 * 1024
/** Kept buffers are let go once no buffer was taken or given back for this long: a default minute window's body. */
export const IDLE_MS = 60_000

/** Kept buffers by size. */
const kept = new Map<number, Buffer[]>()
let keptBytes = 0
let clock: Clock = systemClock
let lastUse = 0
/** The idle check, pending while buffers are kept; unref'd, so it never keeps the process alive. */
let timer: unknown

function checkIdle (): void {
  timer = undefined
  const idle = clock.now() - lastUse
  if (idle >= IDLE_MS) {
    kept.clear()
    keptBytes = 0
  } else if (keptBytes > 0) arm(IDLE_MS - idle)
}

function arm (ms: number): void {
  timer = clock.setTimeout(checkIdle, ms)
  ;(timer as { unref?: () => void } | null)?.unref?.()
}

/**
 * The block buffers {@link BlockCompressor}s copy their input into, shared
 * by the bodies one after the other: a body's 3 MiB of blocks (at 1 MiB,
 * two in flight) live as long as the body, so they reached V8's old space
 * and stayed allocated until a full collection, while the next body
 * allocated its own. Up to 6 MiB are kept (two bodies' blocks at the
 * defaults, the sizes last given back); a buffer is given back only once
 * no pool job reads it. The window's slabs (`BodySlabs`) come from
 * here too. Once no buffer was taken or given back for {@link IDLE_MS}
 * (a feed gone quiet, compression no longer used), the kept ones are let
 * go, by an unref'd timer of the injectable clock (`useClock`).
 *
 * @example
 * ```ts
 * const block = BlockBuffers.take(1024 * 1024)
 * // ...filled, compressed by one pool job, which has ended...
 * BlockBuffers.keep([block])
 * ```
 */
export const BlockBuffers = {
  /** A kept buffer of `size` bytes (old contents), or a new one. */
  take (size: number): Buffer {
    lastUse = clock.now()
    const buffer = kept.get(size)?.pop()
    if (buffer === undefined) return Buffer.allocUnsafeSlow(size) // its own memory, never a view of Buffer's shared pool
    keptBytes -= size
    return buffer
  },

  /** Buffers no job reads any more, kept for a later body; other sizes' buffers make room for them (the settings in use now). */
  keep (buffers: Buffer[]): void {
    lastUse = clock.now()
    for (const buffer of buffers) {
      const size = buffer.length
      const list = kept.get(size) ?? []
      if (size > KEEP_BYTES || list.includes(buffer)) continue
      for (const [other, those] of kept) {
        while (other !== size && those.length > 0 && keptBytes + size > KEEP_BYTES) {
          those.pop()
          keptBytes -= other
        }
      }
      if (keptBytes + size > KEEP_BYTES) continue
      list.push(buffer)
      kept.set(size, list)
      keptBytes += size
    }
    if (timer === undefined && keptBytes > 0) arm(IDLE_MS)
  },

  /** The clock the idle check runs on (specs); the idle time counts from now. */
  useClock (next: Clock): void {
    if (timer !== undefined) clock.clearTimeout(timer)
    timer = undefined
    clock = next
    lastUse = next.now()
    if (keptBytes > 0) arm(IDLE_MS)
  },

  /** Bytes kept now. */
  get keptBytes (): number {
    return keptBytes
  }
}
