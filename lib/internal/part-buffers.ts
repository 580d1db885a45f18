/**
 * Part buffers of finished uploads, held weakly. A part buffer lives as long
 * as its object, so V8 has moved its Buffer to the old space, where it stays
 * (with its memory, counted in RSS) after the upload lets it go, until the
 * next full collection, which may be minutes away. The next object's upload
 * takes it from here instead of allocating one more beside it: at an object
 * boundary (the CLI's every minute, a window's `maxBytes`) the process holds
 * one object's part buffers instead of two. Held weakly, so nothing is kept
 * that V8 would free.
 */
const released: Array<WeakRef<Buffer>> = []

/** More than any one object holds with the defaults (queueSize + 1 = 5), a few objects' worth. */
const MAX_RELEASED = 16

/**
 * A released part buffer of exactly `size` bytes that V8 has not freed yet,
 * or `undefined`. Its bytes are stale: the caller overwrites them.
 *
 * @example
 * ```ts
 * const part = takePartBuffer(partSize) ?? Buffer.allocUnsafeSlow(partSize)
 * ```
 */
export function takePartBuffer (size: number): Buffer | undefined {
  for (let ref = released.pop(); ref !== undefined; ref = released.pop()) {
    const buffer = ref.deref()
    if (buffer?.length === size) return buffer
  }
  return undefined
}

/**
 * Offers part buffers no request will read again (every request of the
 * upload has been answered) to a later upload.
 *
 * @example
 * ```ts
 * releasePartBuffers(spare)
 * ```
 */
export function releasePartBuffers (buffers: Iterable<Buffer>): void {
  for (const buffer of buffers) {
    if (released.length >= MAX_RELEASED) return
    released.push(new WeakRef(buffer))
  }
}
