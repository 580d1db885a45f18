import { S3Client, type S3ClientConfig } from '@aws-sdk/client-s3'
import { InvalidOptionError } from '../errors.js'
import { storeClientSettings, type StoreName } from '../store-profiles.js'
import { skipPayloadHash } from './unsigned-payload.js'
import { validateBoolean, validateInteger, validateSecret, validateString } from './validate.js'

/**
 * The connection fields of the sink config.
 *
 * @example
 * ```ts
 * const connection: S3ConnectionOptions = { region: 'us-east-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true }
 * ```
 */
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
  /**
   * Attempts per request, retries included, before the upload fails. Default:
   * no limit, retries go on until `retryFor` passes. (The SDK itself makes one
   * attempt per call; this package retries, see "Retries and the delivery deadline".)
   */
  maxAttempts?: number
  /** Fail a request (sending and response) that takes longer than this in all, in ms, so it is retried instead of hanging. Default 120000. */
  requestTimeout?: number
  /** Fail a request whose connection has been silent (nothing sent, nothing received) this long, in ms: a stalled store. Default 30000. */
  socketTimeout?: number
  /** Fail a connection attempt after this long, in ms. Default 10000. */
  connectionTimeout?: number
  /** The store's profile (path style, region, checksum mode): `aws` (default), `r2`, `minio`, `gcs`, `b2`, `ceph` or `custom`. */
  store?: StoreName
}

export const CONNECTION_FIELDS = [
  'region', 'accessKeyId', 'secretAccessKey', 'sessionToken', 'endpoint', 'forcePathStyle',
  'maxAttempts', 'requestTimeout', 'socketTimeout', 'connectionTimeout', 'store'
] as const

const DEFAULTS = Object.freeze({ requestTimeout: 120_000, socketTimeout: 30_000, connectionTimeout: 10_000 })

/** The `maxAttempts` of the clients built here for uploads, which the SDK must not apply itself. */
const attemptCaps = new WeakMap<S3Client, number>()

/**
 * The attempt cap a client built by {@link createS3Client} was given for this
 * package's own retries; `undefined` for any other client (then only
 * `retryFor` bounds the retries).
 */
export function attemptCapOf (client: S3Client): number | undefined {
  return attemptCaps.get(client)
}

/** How the clients built here retry. */
export interface ClientRetries {
  /**
   * `'ours'`: the SDK makes one attempt per call, and the caller retries with
   * its own loop (the uploads: no per-client retry budget can end retries
   * during an outage). `'sdk'`: the SDK's standard retries, `maxAttempts` included.
   */
  retries: 'ours' | 'sdk'
}

/**
 * The client of an upload sink: {@link createS3Client} with this package's
 * own retries (the SDK tries each call once), and the SDK's `cacheMiddleware`:
 * a request sent without options (the per-Run sink's PutObjects, see
 * `PutJob`) reuses the middleware stack resolved for its
 * command class instead of resolving it again, about a fifth of the SDK's CPU
 * per small request. The stack is changed only here, before the first
 * request, and each client built here serves one bucket (the cached stack
 * shares one context between concurrent requests, which the SDK assumes is
 * safe for that). On AWS's own endpoints over HTTPS its bodies are signed
 * as `UNSIGNED-PAYLOAD`, covered by their CRC32 and TLS instead of a SHA-256
 * ({@link skipPayloadHash}).
 */
export function createUploadClient (options: S3ConnectionOptions, name: string): S3Client {
  const client = createS3Client(options, name, { cacheMiddleware: true }, { retries: 'ours' })
  skipPayloadHash(client)
  return client
}

/**
 * Builds the S3 client of a sink. Secrets go only into the SDK's credential
 * provider; nothing of this package keeps a copy of them. `overrides` (the
 * doctor's checksum modes) come last.
 */
export function createS3Client (
  options: S3ConnectionOptions, name: string, overrides: Partial<S3ClientConfig> = {}, { retries }: ClientRetries = { retries: 'sdk' }
): S3Client {
  const region = validateString(options.region, `${name}.region`)
  const accessKeyId = validateSecret(options.accessKeyId, `${name}.accessKeyId`)
  const secretAccessKey = validateSecret(options.secretAccessKey, `${name}.secretAccessKey`)
  const sessionToken = validateSecret(options.sessionToken, `${name}.sessionToken`)
  const endpoint = validateString(options.endpoint, `${name}.endpoint`)
  const forcePathStyle = validateBoolean(options.forcePathStyle, `${name}.forcePathStyle`)
  const maxAttempts = validateInteger(options.maxAttempts, `${name}.maxAttempts`, 1, 100)
  const requestTimeout = validateInteger(options.requestTimeout, `${name}.requestTimeout`, 0) ?? DEFAULTS.requestTimeout
  const socketTimeout = validateInteger(options.socketTimeout, `${name}.socketTimeout`, 0) ?? DEFAULTS.socketTimeout
  const connectionTimeout = validateInteger(options.connectionTimeout, `${name}.connectionTimeout`, 0) ?? DEFAULTS.connectionTimeout
  if ((accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new InvalidOptionError(accessKeyId === undefined ? `${name}.accessKeyId` : `${name}.secretAccessKey`,
      'is required when the other half of the key pair is given')
  }
  if (endpoint !== undefined && !/^https?:\/\/[^/\s]+/.test(endpoint)) {
    throw new InvalidOptionError(`${name}.endpoint`, 'must be an http:// or https:// URL')
  }
  // S3 never authenticates with URL credentials; refusing them keeps a password out of every later error and log.
  if (endpoint !== undefined && /^https?:\/\/[^/\s]*@/.test(endpoint)) {
    throw new InvalidOptionError(`${name}.endpoint`, 'must not contain credentials (user:password@)')
  }
  const config: S3ClientConfig = {
    requestHandler: { requestTimeout, socketTimeout, connectionTimeout, throwOnRequestTimeout: true },
    ...storeClientSettings({ store: options.store, region, forcePathStyle, endpoint }, name),
    ...overrides
  }
  if (region !== undefined) config.region = region
  if (endpoint !== undefined) config.endpoint = endpoint
  if (forcePathStyle !== undefined) config.forcePathStyle = forcePathStyle
  if (retries === 'ours') config.maxAttempts = 1
  else if (maxAttempts !== undefined) config.maxAttempts = maxAttempts
  if (accessKeyId !== undefined && secretAccessKey !== undefined) {
    // A provider function rather than the plain object: the client's config
    // then holds a closure, and util.inspect(client) cannot print the secret.
    const credentials = sessionToken === undefined
      ? { accessKeyId, secretAccessKey }
      : { accessKeyId, secretAccessKey, sessionToken }
    config.credentials = () => Promise.resolve(credentials)
  }
  const client = new S3Client(config)
  if (retries === 'ours' && maxAttempts !== undefined) attemptCaps.set(client, maxAttempts)
  return client
}
