/**
 * What the `'object'` event of the per-Run sink carries.
 *
 * @example
 * ```ts
 * sink.on('object', (written: RunWritten) => { console.log(`s3://${written.bucket}/${written.key}`) })
 * ```
 */
export interface RunWritten {
  bucket: string
  key: string
  etag: string | undefined
  /** Size of the object: the Run's JSON text in bytes. */
  bytes: number
  /** Always 1: one object per Run. */
  records: 1
}
