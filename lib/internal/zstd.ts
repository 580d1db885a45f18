import type { Transform } from 'node:stream'
import * as zlib from 'node:zlib'
import { InvalidOptionError } from '../errors.js'

/** node:zlib's zstd encoder, typed here: @types/node 20 does not know it. */
type ZstdFactory = (options: { params: Record<number, number>, chunkSize?: number }) => Transform

const api = zlib as unknown as { createZstdCompress?: ZstdFactory, constants: Record<string, number | undefined> }

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
 *
 * @example
 * ```ts
 * pipeline(body, createZstd(3, 64 * 1024), upload)
 * ```
 */
export function createZstd (level: number, chunkSize: number): Transform {
  const create = api.createZstdCompress
  const levelParam = api.constants.ZSTD_c_compressionLevel
  if (create === undefined || levelParam === undefined) throw new InvalidOptionError('compression', `"zstd" needs ${ZSTD_NODE}`)
  return create({ params: { [levelParam]: level }, chunkSize })
}
