import { InvalidOptionError } from '../errors.js'
import type { S3ConnectionOptions } from '../internal/s3-client.js'
import { validateOneOf } from '../internal/validate.js'
import { STORE_NAMES, STORE_PROFILES } from '../store-profiles.js'
import type { Values } from './cli-flags.js'
import { configFileRegion } from './config-file-region.js'
import { integer } from './flag-values.js'

/**
 * The S3 connection: flags over the standard `AWS_*` variables of `env`,
 * credentials whole from one or the other; the region last from the AWS
 * profile's config file ({@link configFileRegion}). A function, so that printing the
 * options never shows a secret. `unused` (help, version, --out-dir): no
 * region is required.
 *
 * @example
 * ```ts
 * const connection = connectionOf(values, process.env, false)
 * createUploadClient(connection(), 'options')
 * ```
 */
export function connectionOf (v: Values, env: NodeJS.ProcessEnv, unused: boolean): () => S3ConnectionOptions {
  const store = v.store === undefined ? undefined : validateOneOf(v.store, '--store', STORE_NAMES)
  // A store whose profile has a region (r2 and gcs: auto) needs none from the user, nor from the config file.
  const profileRegion = STORE_PROFILES[store ?? 'aws'].region
  const region = v.region ?? envValue(env, 'AWS_REGION') ?? envValue(env, 'AWS_DEFAULT_REGION') ??
    (unused || profileRegion !== undefined ? undefined : configFileRegion(env))
  if (!unused && region === undefined && profileRegion === undefined) throw new InvalidOptionError('--region', 'is required (or set AWS_REGION, or region in the AWS profile\'s config file)')
  // Credentials come whole from the flags or whole from the environment: a
  // session token of one identity must never be paired with another's keys.
  const fromFlags = v['access-key-id'] !== undefined || v['secret-access-key'] !== undefined
  const accessKeyId = fromFlags ? v['access-key-id'] : envValue(env, 'AWS_ACCESS_KEY_ID')
  const secretAccessKey = fromFlags ? v['secret-access-key'] : envValue(env, 'AWS_SECRET_ACCESS_KEY')
  const sessionToken = fromFlags ? v['session-token'] : v['session-token'] ?? envValue(env, 'AWS_SESSION_TOKEN')
  // Half a pair from the environment: name the variable that is missing, not a flag the user never gave.
  if (!unused && !fromFlags && (accessKeyId === undefined) !== (secretAccessKey === undefined)) {
    throw new InvalidOptionError(accessKeyId === undefined ? 'AWS_ACCESS_KEY_ID' : 'AWS_SECRET_ACCESS_KEY', 'is required when the other half of the key pair is set in the environment (or give both flags)')
  }
  const endpoint = v.endpoint ?? envValue(env, 'AWS_ENDPOINT_URL_S3') ?? envValue(env, 'AWS_ENDPOINT_URL')
  const numbers = {
    maxAttempts: integer(v['max-attempts'], '--max-attempts'),
    requestTimeout: integer(v['request-timeout'], '--request-timeout'),
    socketTimeout: integer(v['socket-timeout'], '--socket-timeout'),
    connectionTimeout: integer(v['connection-timeout'], '--connection-timeout')
  }
  return () => ({
    region,
    accessKeyId,
    secretAccessKey,
    sessionToken,
    endpoint,
    forcePathStyle: v['force-path-style'],
    ...(store === undefined ? {} : { store }),
    ...numbers
  })
}

function envValue (env: NodeJS.ProcessEnv, name: string): string | undefined {
  const value = env[name]
  return value === undefined || value === '' ? undefined : value
}
