import { SourceAuthError, SourceServerError, describe } from '../errors.js'

const AUTH = new Set(['AuthorizationError', 'UserAuthenticationExpiredError', 'PermissionViolationError'])
const SERVER = new Set(['JetStreamNotEnabled', 'StreamNotFoundError', 'ConsumerNotFoundError', 'InvalidNameError', 'ProtocolError'])

/**
 * Sorts an error of the NATS client: refused credentials or permissions,
 * no JetStream, a missing stream or consumer, or a peer that does not speak
 * NATS become coded errors; anything else (a lost connection, a timeout, a
 * fetch cut short) is `null`: retried with backoff.
 */
export function permanentNatsError (err: unknown, where: string): Error | null {
  const name = err instanceof Error ? err.name : ''
  const text = describe(err).split('\n')[0]?.slice(0, 200) ?? ''
  if (AUTH.has(name) || /authorization violation|permissions violation/i.test(text)) {
    return new SourceAuthError(`${where}: the server refused the credentials or permissions: ${text}`)
  }
  if (SERVER.has(name) || /jetstream not enabled/i.test(text)) return new SourceServerError(`${where}: ${text}`)
  return null
}
