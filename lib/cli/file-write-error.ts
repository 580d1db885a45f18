import { S3SinkError, describe } from '../errors.js'

/**
 * An object could not be written under the output directory (`--out-dir`):
 * the local counterpart of `S3UploadError`. `key` is the object's key, `path`
 * the file it was going to; the file-system error is `cause`.
 *
 * @example
 * ```ts
 * sink.on('error', (err) => { if (err.code === 'ERR_FILE_WRITE') console.error(err.path, err.cause) })
 * ```
 */
export class FileWriteError extends S3SinkError {
  override name = 'FileWriteError'
  override readonly code = 'ERR_FILE_WRITE'
  readonly key: string
  readonly path: string

  constructor (key: string, path: string, cause: unknown) {
    super(`writing ${key} to ${path} failed: ${describe(cause)}`, { cause })
    this.key = key
    this.path = path
  }
}

/** Why a key has no file: see `keyPath()`. */
export const UNUSABLE_KEY = 'the key cannot be a file name here (an empty, "." or ".." segment, a NUL, or a backslash on Windows)'
