import { Transform, pipeline, type TransformCallback } from 'node:stream'
import { isBatch, type Batch } from '../batch.js'
import { BatchAbortedError, InvalidBatchError } from '../errors.js'
import { createCompressor, resolveCompression, type CompressionOptions, type CompressionSettings } from '../internal/compression.js'
import { validateKnownKeys, validateObject } from '../internal/validate.js'

export type { Compression } from '../internal/compression.js'

/**
 * Options of {@link compress}.
 *
 * @example
 * ```ts
 * const options: CompressOptions = { compression: 'zstd', level: 3 }
 * await pipeline(source, minuteWindow(), compress(options), s3Writable(cfg))
 * ```
 */
export interface CompressOptions extends CompressionOptions {}

const KNOWN = ['compression', 'level', 'threads', 'blockSize', 'chunkSize']

/**
 * Compresses each batch into its own complete stream, so every object is a
 * standalone `.gz` or `.zst` file: `compression: 'gzip'` (default; parallel
 * on several cores, see `threads`), `'zstd'` (node:zlib's, Node >= 22.15;
 * elsewhere this factory throws `ERR_INVALID_OPTION` saying which Node has
 * it) or `'none'` (batches pass through untouched). The batch is passed on at
 * once with a compressed `body` and `contentEncoding` set; compression runs
 * as the body is read, on zlib's thread pool.
 *
 * @example
 * ```ts
 * await pipeline(source, minuteWindow(), compress({ compression: 'zstd', level: 3 }), keyRotate(), s3Writable(cfg))
 * ```
 */
export function compress (options: CompressOptions = {}): Transform {
  validateObject(options, 'options')
  validateKnownKeys(options ?? {}, 'options', KNOWN)
  return compressStage(resolveCompression(options ?? {}, 'options'), 'compress()')
}

/**
 * The stage behind {@link compress} and `gzip()`, from checked settings.
 *
 * @example
 * ```ts
 * compressStage(resolveCompression({ level: 1 }, 'options'), 'gzip()')
 * ```
 */
export function compressStage (settings: CompressionSettings, name: string): Transform {
  const active = new Set<Transform>()
  return new Transform({
    objectMode: true,
    highWaterMark: 1,
    transform (batch: unknown, _encoding: BufferEncoding, cb: TransformCallback) {
      if (!isBatch(batch)) return cb(new InvalidBatchError(name))
      if (batch.contentEncoding !== undefined) return cb(new InvalidBatchError(`${name} got a batch already encoded as ${batch.contentEncoding}; it`))
      let body: Transform | null
      try {
        body = createCompressor(settings)
      } catch (err) {
        return cb(err as Error)
      }
      if (body === null) return cb(null, batch)
      active.add(body)
      const encoder = body
      pipeline(batch.body, encoder, (err) => {
        active.delete(encoder)
        // The same error object travels on, so pipeline() reports the real cause once.
        if (err !== undefined && err !== null && !this.destroyed) this.destroy(err)
      })
      const next: Batch = { ...batch, body, contentEncoding: settings.compression }
      cb(null, next)
    },
    destroy (err: Error | null, cb: (error: Error | null) => void) {
      // autoDestroy after a clean end: the bodies still compressing are fine.
      if (err === null && this.writableFinished) return cb(null)
      for (const body of active) body.destroy(err ?? new BatchAbortedError(`${name} was destroyed before the batch ended`))
      active.clear()
      cb(err)
    }
  })
}
