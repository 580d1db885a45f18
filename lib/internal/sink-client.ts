import type { S3Client } from '@aws-sdk/client-s3'
import { problemOf, type Issues } from './config-issues.js'
import { CONNECTION_FIELDS } from './s3-client.js'
import { tryUploadClient } from './try-upload-client.js'
import { typeName } from './validate.js'

/**
 * The client of a sink config: the caller's `client` (then no connection
 * field may be given), or one built from the connection fields. Every
 * problem becomes an issue; `undefined` when there is no usable client.
 *
 * @example
 * ```ts
 * const client = sinkClient(issues, { region: 'us-west-2' })
 * ```
 */
export function sinkClient (issues: Issues, cfg: Record<string, unknown>): S3Client | undefined {
  return cfg.client === undefined ? connect(issues, cfg) : ownClient(issues, cfg)
}

/**
 * No connection field is required: without keys and region the SDK's
 * default chains apply (environment, profile, SSO, web identity, ECS/EC2 roles).
 */
function connect (issues: Issues, cfg: Record<string, unknown>): S3Client | undefined {
  // Half a key pair is a mistake whatever the given half holds.
  if ((cfg.accessKeyId === undefined) !== (cfg.secretAccessKey === undefined)) {
    issues.add(cfg.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey', 'missing', 'is required when the other half of the key pair is given')
  }
  return tryUploadClient(cfg, 'config', CONNECTION_FIELDS, (err) => {
    issues.addError(err, undefined, (path) => cfg[path] === undefined ? 'missing' : problemOf(path, cfg[path]))
  })
}

function ownClient (issues: Issues, cfg: Record<string, unknown>): S3Client | undefined {
  const client = cfg.client as { send?: unknown } | null
  if (typeof client?.send !== 'function') issues.add('client', 'type', `must be an S3Client, got ${typeName(client)}`)
  for (const field of CONNECTION_FIELDS) {
    if (cfg[field] !== undefined) issues.add(field, 'invalid', 'cannot be combined with client; configure your client instead')
  }
  return cfg.client as S3Client
}
