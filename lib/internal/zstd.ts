import type { Transform } from 'node:stream'
import * as zlib from 'node:zlib'
import { InvalidOptionError } from '../errors.js'

/** node:zlib's zstd encoder, typed here: @types/node 20 does not know it. */
type ZstdFactory = (options: { params: Record<number, number>, chunkSize?: number, flush?: number }) => Transform

const api = zlib as unknown as {
  createZstdCompress?: ZstdFactory
  zstdCompressSync?: (data: Uint8Array, options: { params: Record<number, number> }) => Buffer
  constants: Record<string, number | undefined>
}

/** Where node:zlib has zstd: said in every error about it. */
export const ZSTD_NODE = 'Node >= 22.15 (or >= 23.8; 24 LTS has it)'

/**
 * Tells whether this Node's `node:zlib` can write zstd.
 *
 * @example
 * ```ts
 * if (!hasZstd()) console.log(`zstd needs ${ZSTD_NODE}`)
 * ```
 */
export function hasZstd (): boolean {
  return typeof api.createZstdCompress === 'function' && api.constants.ZSTD_c_compressionLevel !== undefined
}

/**
 * Throws, naming `option`, when this Node has no zstd: a factory calls it so
 * the choice fails where the stream is built, not at the first batch.
 *
 * @example
 * ```ts
 * requireZstd('options.compression')
 * ```
 */
export function requireZstd (option: string): void {
  if (!hasZstd()) throw new InvalidOptionError(option, `is "zstd", which node:zlib has from ${ZSTD_NODE}; this is Node ${process.version}`)
}

/**
 * A zstd encoder at `level` (one frame per stream), on zlib's thread pool.
 * `flushEachWrite`: every write ends with ZSTD_e_flush, so a write's whole
 * output is out when its job ends and the frame goes on with the next.
 *
 * @example
 * ```ts
 * pipeline(body, createZstd(3, 64 * 1024), upload)
 * ```
 */
export function createZstd (level: number, chunkSize: number, flushEachWrite = false): Transform {
  const create = api.createZstdCompress
  const levelParam = api.constants.ZSTD_c_compressionLevel
  const flush = flushEachWrite ? api.constants.ZSTD_e_flush : api.constants.ZSTD_e_continue
  if (create === undefined || levelParam === undefined || flush === undefined) throw new InvalidOptionError('compression', `"zstd" needs ${ZSTD_NODE}`)
  return create({ params: { [levelParam]: level }, chunkSize, flush })
}

/**
 * A whole empty zstd frame at `level` (what an empty body compresses to).
 *
 * @example
 * ```ts
 * const body = emptyZstdFrame(3) // 9 bytes
 * ```
 */
export function emptyZstdFrame (level: number): Buffer {
  const levelParam = api.constants.ZSTD_c_compressionLevel
  if (api.zstdCompressSync === undefined || levelParam === undefined) throw new InvalidOptionError('compression', `"zstd" needs ${ZSTD_NODE}`)
  return api.zstdCompressSync(Buffer.alloc(0), { params: { [levelParam]: level } })
}
