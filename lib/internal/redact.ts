/**
 * Fields of an SDK error that reach credentials: `$response`, the raw HTTP
 * response, whose socket reaches the request's headers (session token);
 * and what S3 echoes of a request whose signature it could not match
 * (SignatureDoesNotMatch), which the SDK copies from the XML onto the
 * error: the canonical request holds the `x-amz-security-token` header's
 * value, and the key id is the access key's; and the token itself, which S3
 * echoes as `Token-0` (`Token-1`, ...) when it is expired or unknown
 * (ExpiredToken, InvalidToken).
 */
const HIDDEN = new Set<PropertyKey>([
  '$response', 'CanonicalRequest', 'CanonicalRequestBytes', 'StringToSign', 'StringToSignBytes', 'SignatureProvided', 'AWSAccessKeyId'
])
const hidden = (key: PropertyKey): boolean => HIDDEN.has(key) || (typeof key === 'string' && /^Token-\d+$/.test(key))

/**
 * An error without the fields that reach credentials ({@link HIDDEN}), for
 * `util.inspect(err, { showHidden: true })` and every printing of it. The
 * SDK defines `$response` non-configurable, so the error is copied without
 * them (same prototype, so `instanceof` and `name` still hold). Anything
 * else is returned as is.
 */
export function redact (err: unknown): unknown {
  if (typeof err !== 'object' || err === null || !Reflect.ownKeys(err).some(hidden)) return err
  const copy = Object.create(Object.getPrototypeOf(err) as object) as object
  for (const key of Reflect.ownKeys(err)) {
    if (!hidden(key)) Object.defineProperty(copy, key, Object.getOwnPropertyDescriptor(err, key) as PropertyDescriptor)
  }
  return copy
}
