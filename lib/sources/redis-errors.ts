import { SourceAuthError, SourceServerError, describe } from '../errors.js'

/**
 * Sorts an error of the Redis client: a refusal retrying cannot cure
 * (credentials, a key that is not a stream, a peer that does not speak
 * Redis) becomes a coded error; anything else (a lost or refused
 * connection, a timeout) is `null`: retried with backoff.
 */
export function permanentRedisError (err: unknown, where: string): Error | null {
  const message = err instanceof Error ? err.message : String(err)
  const name = err instanceof Error ? err.name : ''
  if (/^(WRONGPASS|NOAUTH|NOPERM)\b/.test(message) || /invalid (username-password|password)/i.test(message)) {
    return new SourceAuthError(`${where}: the server refused the credentials: ${firstLine(message)}`)
  }
  if (/^WRONGTYPE\b/.test(message)) return new SourceServerError(`${where}: the key is not a stream: ${firstLine(message)}`)
  if (/^(NOGROUP|ERR unknown command)\b/i.test(message)) return new SourceServerError(`${where}: ${firstLine(message)}`)
  if (name === 'ParserError' || /protocol error|unknown RESP type/i.test(message)) {
    return new SourceServerError(`${where}: the server does not speak the Redis protocol (${firstLine(describe(err))})`)
  }
  return null
}

function firstLine (text: string): string {
  return text.split('\n')[0]?.slice(0, 200) ?? ''
}
