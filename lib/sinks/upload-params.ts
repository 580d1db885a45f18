import type { PutObjectCommandInput } from '@aws-sdk/client-s3'
import { InvalidOptionError } from '../errors.js'
import { validateObject } from '../internal/validate.js'

/**
 * Extra parameters for every object, e.g. `StorageClass`, `ServerSideEncryption`, `Metadata`, `Tagging`.
 *
 * @example
 * ```ts
 * const params: UploadParams = { StorageClass: 'STANDARD_IA', Metadata: { source: 'runs' } }
 * const sink = s3Writable({ bucket: 'logs', region: 'us-west-2', params })
 * ```
 */
export type UploadParams = Omit<PutObjectCommandInput, 'Bucket' | 'Key' | 'Body' | 'ContentLength'>

/** Fields the sink sets per object (the conditional ones through `ifNoneMatch`): a caller's value would be overwritten or contradict it. */
const SET_BY_SINK = ['Bucket', 'Key', 'Body', 'ContentLength', 'IfNoneMatch', 'IfMatch']

/**
 * `params` for every object: an object, without the fields the sink sets itself.
 *
 * @example
 * ```ts
 * const params = validateUploadParams(options.params, 'options.params')
 * ```
 */
export function validateUploadParams (params: unknown, name: string): UploadParams | undefined {
  validateObject(params, name)
  for (const field of SET_BY_SINK) {
    if (params?.[field] !== undefined) throw new InvalidOptionError(`${name}.${field}`, 'is set by the sink')
  }
  return params
}
