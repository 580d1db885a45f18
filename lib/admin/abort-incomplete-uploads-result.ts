/**
 * A multipart upload that was aborted (or, with `dryRun`, would be).
 *
 * @example
 * ```ts
 * const { aborted } = await abortIncompleteUploads({ bucket: 'logs', region: 'us-west-2', olderThan: 24 * 3600_000 })
 * aborted.forEach(({ key, initiated }: AbortedUpload) => console.log(key, initiated.toISOString()))
 * ```
 */
export interface AbortedUpload {
  key: string
  uploadId: string
  initiated: Date
}

/**
 * A multipart upload whose AbortMultipartUpload failed.
 *
 * @example
 * ```ts
 * const { failed } = await abortIncompleteUploads({ bucket: 'logs', region: 'us-west-2', olderThan: 24 * 3600_000 })
 * failed.forEach(({ key, error }: FailedAbort) => console.error(key, error.message))
 * ```
 */
export interface FailedAbort extends AbortedUpload {
  error: Error
}

/**
 * What {@link abortIncompleteUploads} did, in listing order.
 *
 * @example
 * ```ts
 * const result: AbortIncompleteUploadsResult = await abortIncompleteUploads({ bucket: 'logs', region: 'us-west-2', olderThan: new Date('2026-11-01') })
 * console.log(`${result.aborted.length} aborted, ${result.failed.length} failed`)
 * ```
 */
export interface AbortIncompleteUploadsResult {
  aborted: AbortedUpload[]
  failed: FailedAbort[]
}
