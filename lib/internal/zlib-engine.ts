import type { Transform } from 'node:stream'

/**
 * A node:zlib engine (e.g. `createDeflateRaw()`), fresh: the lanes reset and
 * close it themselves, which the plain `Transform` type does not declare.
 *
 * @example
 * ```ts
 * const engine = zlib.createDeflateRaw({ level: 6 }) as ZlibEngine
 * ```
 */
export type ZlibEngine = Transform & { reset: () => void, close: () => void }
