/** A multipart upload that was aborted (or, with `dryRun`, would be). */
export interface AbortedUpload {
  key: string
  uploadId: string
  initiated: Date
}

/** A multipart upload whose AbortMultipartUpload failed. */
export interface FailedAbort extends AbortedUpload {
  error: Error
}

/** What {@link abortIncompleteUploads} did, in listing order. */
export interface AbortIncompleteUploadsResult {
  aborted: AbortedUpload[]
  failed: FailedAbort[]
}
