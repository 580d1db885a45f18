import { Transform, pipeline, type TransformCallback } from 'node:stream'
import { createGzip, constants, type Gzip } from 'node:zlib'
import { isBatch, type Batch } from '../batch.js'
import { BatchAbortedError, InvalidBatchError } from '../errors.js'
import { validateInteger, validateObject } from '../internal/validate.js'

/** Options of {@link gzip}. */
export interface GzipOptions {
  /** zlib compression level, 0 (none) to 9 (smallest). Default 6, zlib's own default. */
  level?: number
  /** zlib output chunk size in bytes. Default 64 KiB. */
  chunkSize?: number
}

const DEFAULTS = Object.freeze({ level: constants.Z_DEFAULT_COMPRESSION, chunkSize: 64 * 1024 })

/**
 * Compresses each batch into its own complete gzip stream, so every object
 * is a standalone `.gz` file. The batch is passed on at once with a
 * compressed `body`; compression runs as the body is read, on zlib's thread
 * pool.
 *
 * @example
 * ```ts
 * await pipeline(source, minuteWindow(), gzip({ level: 1 }), s3Writable(cfg))
 * ```
 */
export function gzip (options: GzipOptions = {}): Transform {
  validateObject(options, 'options')
  const level = validateInteger(options.level, 'options.level', 0, 9) ?? DEFAULTS.level
  const chunkSize = validateInteger(options.chunkSize, 'options.chunkSize', 64, 1 << 30) ?? DEFAULTS.chunkSize
  const active = new Set<Gzip>()

  return new Transform({
    objectMode: true,
    highWaterMark: 1,
    transform (batch: unknown, _encoding: BufferEncoding, cb: TransformCallback) {
      if (!isBatch(batch)) return cb(new InvalidBatchError('gzip()'))
      if (batch.contentEncoding !== undefined) return cb(new InvalidBatchError(`gzip() got a batch already encoded as ${batch.contentEncoding}; it`))
      const body = createGzip({ level, chunkSize })
      active.add(body)
      pipeline(batch.body, body, (err) => {
        active.delete(body)
        // The same error object travels on, so pipeline() reports the real cause once.
        if (err !== undefined && err !== null && !this.destroyed) this.destroy(err)
      })
      const next: Batch = { ...batch, body, contentEncoding: 'gzip' }
      cb(null, next)
    },
    destroy (err: Error | null, cb: (error: Error | null) => void) {
      // autoDestroy after a clean end: the bodies still compressing are fine.
      if (err === null && this.writableFinished) return cb(null)
      for (const body of active) body.destroy(err ?? new BatchAbortedError('gzip() was destroyed before the batch ended'))
      active.clear()
      cb(err)
    }
  })
}
