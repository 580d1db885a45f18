import { ServerSideEncryption, StorageClass } from '@aws-sdk/client-s3'
import { InvalidOptionError } from '../errors.js'
import { validateOneOf } from '../internal/validate.js'
import type { UploadParams } from '../sinks/upload-params.js'

/** The flags of `s3Writable({ params })`: what every object is stored with. */
export const OBJECT_PARAM_FLAGS = {
  'storage-class': { type: 'string' },
  sse: { type: 'string' },
  'sse-kms-key-id': { type: 'string' },
  tag: { type: 'string', multiple: true },
  metadata: { type: 'string', multiple: true },
  'content-type': { type: 'string' }
} as const

/** What parseArgs gives for {@link OBJECT_PARAM_FLAGS}. */
export interface ObjectParamValues {
  'storage-class'?: string
  sse?: string
  'sse-kms-key-id'?: string
  tag?: string[]
  metadata?: string[]
  'content-type'?: string
}

const STORAGE_CLASSES = Object.values(StorageClass)
const SSE = Object.values(ServerSideEncryption)

/**
 * `--storage-class`, `--sse`, `--sse-kms-key-id`, `--tag k=v`, `--metadata k=v`
 * and `--content-type` as the `params` of every object; `undefined` when none
 * is given. Errors name the flag, never its value.
 *
 * @example
 * ```ts
 * objectParamsOf({ 'storage-class': 'STANDARD_IA', tag: ['team=data'] }) // { StorageClass: 'STANDARD_IA', Tagging: 'team=data' }
 * ```
 */
export function objectParamsOf (v: ObjectParamValues): UploadParams | undefined {
  const params: UploadParams = {}
  if (v['storage-class'] !== undefined) params.StorageClass = validateOneOf(v['storage-class'], '--storage-class', STORAGE_CLASSES)
  if (v.sse !== undefined) params.ServerSideEncryption = validateOneOf(v.sse, '--sse', SSE)
  if (v['sse-kms-key-id'] !== undefined) {
    if (params.ServerSideEncryption === undefined || !params.ServerSideEncryption.startsWith('aws:kms')) {
      throw new InvalidOptionError('--sse-kms-key-id', 'needs --sse aws:kms or --sse aws:kms:dsse')
    }
    params.SSEKMSKeyId = nonEmpty(v['sse-kms-key-id'], '--sse-kms-key-id')
  }
  if (v.tag !== undefined) params.Tagging = new URLSearchParams(pairs(v.tag, '--tag')).toString()
  if (v.metadata !== undefined) params.Metadata = Object.fromEntries(pairs(v.metadata, '--metadata'))
  if (v['content-type'] !== undefined) params.ContentType = nonEmpty(v['content-type'], '--content-type')
  return Object.keys(params).length === 0 ? undefined : params
}

/** `k=v` items (a value may hold `=`); a key given twice is refused rather than one of them kept. */
function pairs (items: string[], flag: string): Array<[string, string]> {
  const seen = new Set<string>()
  return items.map((item) => {
    const at = item.indexOf('=')
    if (at <= 0) throw new InvalidOptionError(flag, 'must be KEY=VALUE with a non-empty KEY')
    const key = item.slice(0, at)
    if (seen.has(key)) throw new InvalidOptionError(flag, 'gives the same KEY twice')
    seen.add(key)
    return [key, item.slice(at + 1)]
  })
}

function nonEmpty (value: string, flag: string): string {
  if (value === '') throw new InvalidOptionError(flag, 'must not be empty')
  return value
}
