import type { S3Client } from '@aws-sdk/client-s3'
import { problemOf, type Issues } from './config-issues.js'
import { CONNECTION_FIELDS, createUploadClient } from './s3-client.js'
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
 * createS3Client() stops at the first bad field; asking again without the
 * field it named reports them all without restating its rules here. No
 * connection field is required: without keys and region the SDK's default
 * chains apply (environment, profile, SSO, web identity, ECS/EC2 roles).
 */
function connect (issues: Issues, cfg: Record<string, unknown>): S3Client | undefined {
  // Half a key pair is a mistake whatever the given half holds.
  if ((cfg.accessKeyId === undefined) !== (cfg.secretAccessKey === undefined)) {
    issues.add(cfg.accessKeyId === undefined ? 'accessKeyId' : 'secretAccessKey', 'missing', 'is required when the other half of the key pair is given')
  }
  const trial: Record<string, unknown> = {}
  for (const field of CONNECTION_FIELDS) if (cfg[field] !== undefined) trial[field] = cfg[field]
  for (;;) {
    const before = Object.keys(trial).length
    let named = ''
    const client = issues.check(undefined, () => createUploadClient(trial, 'config'), (path) => { named = path; return cfg[path] === undefined ? 'missing' : problemOf(path, cfg[path]) })
    if (client !== undefined) return client
    // The key-pair rule names a field that is absent: drop the pair instead.
    if (named in trial) delete trial[named]
    else { delete trial.accessKeyId; delete trial.secretAccessKey; delete trial.sessionToken }
    if (Object.keys(trial).length === before) return undefined
  }
}

function ownClient (issues: Issues, cfg: Record<string, unknown>): S3Client | undefined {
  const client = cfg.client as { send?: unknown } | null
  if (typeof client?.send !== 'function') issues.add('client', 'type', `must be an S3Client, got ${typeName(client)}`)
  for (const field of CONNECTION_FIELDS) {
    if (cfg[field] !== undefined) issues.add(field, 'invalid', 'cannot be combined with client; configure your client instead')
  }
  return cfg.client as S3Client
}
