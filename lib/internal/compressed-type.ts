import { Transform, type TransformCallback } from 'node:stream'
import type { Batch } from '../batch.js'
import { compressedContentType } from './compression-extension.js'

/**
 * `encodingHeader: false` for the batches of one route of a shared
 * `s3Writable()`: a compressed batch is passed on as `application/gzip` (or
 * `application/zstd`) without a `contentEncoding`, so the uploader stores it
 * without `Content-Encoding`, whatever its own `encodingHeader`. Put it after
 * `keyRotate()`, which takes the extension from the encoding.
 */
export function compressedType (): Transform {
  return new Transform({
    objectMode: true,
    highWaterMark: 1,
    transform (batch: Batch, _encoding: BufferEncoding, cb: TransformCallback) {
      const type = batch.contentEncoding === undefined ? undefined : compressedContentType(batch.contentEncoding)
      if (type === undefined) return cb(null, batch)
      const { contentEncoding: _dropped, ...rest } = batch
      cb(null, { ...rest, contentType: type })
    }
  })
}
