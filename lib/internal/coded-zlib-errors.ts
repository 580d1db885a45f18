import type { Transform } from 'node:stream'
import { CompressionFailedError } from '../errors.js'

/** An error node:zlib raised itself: a zlib return code (`Z_MEM_ERROR`, `Z_STREAM_ERROR`...) with its errno. */
function isZlibError (err: unknown): err is Error {
  if (!(err instanceof Error)) return false
  const { code, errno } = err as { code?: unknown, errno?: unknown }
  return typeof errno === 'number' && typeof code === 'string' && code.startsWith('Z_')
}

/**
 * Makes a node:zlib stream fail with a {@link CompressionFailedError} (zlib's
 * error as `cause`) when zlib itself fails, as the block compressors do.
 * node:zlib reports its failures through `destroy(err)`, so that is where the
 * error is wrapped; errors from elsewhere (the body's own, an abort) pass
 * unchanged.
 *
 * @example
 * ```ts
 * const body = codedZlibErrors(createGzip({ level: 6 }), 'gzip')
 * ```
 */
export function codedZlibErrors<T extends Transform> (stream: T, codec: string): T {
  const destroy = stream.destroy.bind(stream) as (err?: Error, ...rest: unknown[]) => T
  stream.destroy = (err?: Error, ...rest: unknown[]): T => destroy(isZlibError(err) ? new CompressionFailedError(codec, null, { cause: err }) : err, ...rest)
  return stream
}
