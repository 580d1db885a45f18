/**
 * The file extension of an object whose body has this `Content-Encoding`
 * (a batch's `contentEncoding`): `.gz` for gzip, `.zst` for zstd, `''` for an
 * uncompressed body or an encoding without a usual extension. Default keys
 * and key templates (`{ext}`) both take it from here.
 *
 * @example
 * ```ts
 * compressionExtension('gzip') // '.gz'
 * compressionExtension(undefined) // ''
 * ```
 */
export function compressionExtension (contentEncoding: string | undefined): '' | '.gz' | '.zst' {
  if (contentEncoding === 'gzip') return '.gz'
  if (contentEncoding === 'zstd') return '.zst'
  return ''
}

/**
 * The MIME type of an object whose compression is stated by its type rather
 * than by a `Content-Encoding` header (`encodingHeader: false`).
 *
 * @example
 * ```ts
 * compressedContentType('gzip') // 'application/gzip'
 * ```
 */
export function compressedContentType (contentEncoding: string): string | undefined {
  if (contentEncoding === 'gzip') return 'application/gzip'
  if (contentEncoding === 'zstd') return 'application/zstd'
  return undefined
}
