import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { InvalidOptionError } from '../errors.js'
import { storeClientSettings, type StoreName } from '../store-profiles.js'
import { validateBoolean, validateInteger, validateString } from './validate.js'

/** The connection fields of the sink config. */
export interface S3ConnectionOptions {
  /** AWS region, e.g. `us-west-2`. Default: the SDK's region chain (`AWS_REGION`, config files). */
  region?: string
  /** Access key id. With `secretAccessKey`; without both, the SDK's default credential chain applies. */
  accessKeyId?: string
  /** Secret access key. Never printed: not in errors, logs or `util.inspect`. */
  secretAccessKey?: string
  /** Session token of temporary credentials. Never printed. */
  sessionToken?: string
  /** Endpoint of an S3-compatible store, e.g. `http://127.0.0.1:9000`. */
  endpoint?: string
  /** Path-style URLs (`endpoint/bucket/key`), needed by most S3-compatible stores. */
  forcePathStyle?: boolean
  /** Attempts per request, retries included. Default 3 (the SDK's). */
  maxAttempts?: number
  /** Fail a request (sending and response) that takes longer than this, in ms, so it is retried instead of hanging. Default 120000. */
  requestTimeout?: number
  /** Fail a connection attempt after this long, in ms. Default 10000. */
  connectionTimeout?: number
  /** The store's profile (path style, region, checksum mode): `aws` (default), `r2`, `minio`, `gcs`, `b2`, `ceph` or `custom`. */
  store?: StoreName
}

export const CONNECTION_FIELDS = [
  'region', 'accessKeyId', 'secretAccessKey', 'sessionToken', 'endpoint', 'forcePathStyle',
  'maxAttempts', 'requestTimeout', 'connectionTimeout', 'store'
] as const

const DEFAULTS = Object.freeze({ requestTimeout: 120_000, connectionTimeout: 10_000 })

/**
 * Builds the S3 client of a sink. Secrets go only into the SDK's credential
 * provider; nothing of this package keeps a copy of them. `overrides` (the
 * doctor's checksum modes) come last.
 */
export function createS3Client (options: S3ConnectionOptions, name: string, overrides: Partial<S3ClientConfig> = {}): S3Client {
  const region = validateString(options.region, `${name}.region`)
  const accessKeyId = validateString(options.accessKeyId, `${name}.accessKeyId`)
  const secretAccessKey = validateString(options.secretAccessKey, `${name}.secretAccessKey`)
  const sessionToken = validateString(options.sessionToken, `${name}.sessionToken`)
  const endpoint = validateString(options.endpoint, `${name}.endpoint`)
  const forcePathStyle = validateBoolean(options.forcePathStyle, `${name}.forcePathStyle`)
  const maxAttempts = validateInteger(options.maxAttempts, `${name}.maxAttempts`, 1, 100)
  const requestTimeout = validateInteger(options.requestTimeout, `${name}.requestTimeout`, 0) ?? DEFAULTS.requestTimeout
  const connectionTimeout = validateInteger(options.connectionTimeout, `${name}.connectionTimeout`, 0) ?? DEFAULTS.connectionTimeout
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new InvalidOptionError(accessKeyId === undefined ? `${name}.accessKeyId` : `${name}.secretAccessKey`,
      'is required when the other half of the key pair is given')
  }
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint)) {
    throw new InvalidOptionError(`${name}.endpoint`, 'must be an http:// or https:// URL')
  }
  const config: S3ClientConfig = {
    requestHandler: { requestTimeout, connectionTimeout, throwOnRequestTimeout: true },
    ...storeClientSettings({ store: options.store, region, forcePathStyle, endpoint }, name),
    ...overrides
  }
  if (region !== undefined) config.region = region
  if (endpoint !== undefined) config.endpoint = endpoint
  if (forcePathStyle !== undefined) config.forcePathStyle = forcePathStyle
  if (maxAttempts !== undefined) config.maxAttempts = maxAttempts
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    // A provider function rather than the plain object: the client's config
    // then holds a closure, and util.inspect(client) cannot print the secret.
    const credentials = sessionToken === undefined
      ? { accessKeyId, secretAccessKey }
      : { accessKeyId, secretAccessKey, sessionToken }
    config.credentials = async () => credentials
  }
  return new S3Client(config)
}
