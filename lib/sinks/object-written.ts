/**
 * What the `'object'` event of `s3Writable()` carries for every object S3 confirmed.
 *
 * @example
 * ```ts
 * sink.on('object', ({ key, records, bytes }: ObjectWritten) => console.log(key, records, bytes))
 * ```
 */
export interface ObjectWritten {
  bucket: string
  key: string
  etag: string | undefined
  /** Bytes stored (compressed size for gzip batches). */
  bytes: number
  /** Records in the object. */
  records: number
  /** Start of the object's window, ms since the epoch. */
  windowStart: number
  /** The batch's sequence number in its window stage: objects sorted by it hold the feed in order. */
  seq: number
}
