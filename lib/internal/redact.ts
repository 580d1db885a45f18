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
 * How deep a chain of causes (and `errors` of an AggregateError) is cleaned.
 * A caller's client or retry wraps the AWS error a level or two deep; what
 * lies deeper is dropped rather than kept uncleaned.
 */
const MAX_DEPTH = 8

/**
 * An error without the fields that reach credentials ({@link HIDDEN}), for
 * `util.inspect(err, { showHidden: true })` and every printing of it, down
 * its `cause` chain and the `errors` of an AggregateError: a caller's client
 * or retry may hand the AWS error on wrapped. The SDK defines `$response`
 * non-configurable, so an error is copied without them (same prototype, so
 * `instanceof` and `name` still hold), and so is every error above one that
 * was; cycles are copied as cycles. Anything else is returned as is.
 *
 * @example
 * ```ts
 * throw new S3UploadError(bucket, key, err) // its constructor keeps redact(err) as `cause`
 * inspect(redact(new Error('gave up', { cause: signatureError })), { showHidden: true }) // no CanonicalRequest, no $response
 * ```
 */
export function redact (err: unknown): unknown {
  return clean(err, 0, new Map())
}

/** `copies` maps each object met on the way down to what stands for it (itself while unchanged), so a cycle ends. */
function clean (value: unknown, depth: number, copies: Map<object, object>): unknown {
  if (typeof value !== 'object' || value === null) return value
  const known = copies.get(value)
  if (known !== undefined) return known
  const keys = Reflect.ownKeys(value)
  const nested = keys.filter((key) => key === 'cause' || (key === 'errors' && Array.isArray(Reflect.get(value, key))))
  if (!keys.some(hidden) && (nested.length === 0 || !needsCleaning(value, depth, new Set()))) return value
  const copy = Object.create(Object.getPrototypeOf(value) as object) as object
  copies.set(value, copy)
  for (const key of keys) {
    if (hidden(key)) continue
    const descriptor = Object.getOwnPropertyDescriptor(value, key) as PropertyDescriptor
    if (nested.includes(key) && 'value' in descriptor) {
      // Too deep to be checked: left out rather than kept as it is.
      if (depth >= MAX_DEPTH) continue
      descriptor.value = key === 'cause'
        ? clean(descriptor.value, depth + 1, copies)
        : (descriptor.value as unknown[]).map((inner) => clean(inner, depth + 1, copies))
    }
    Object.defineProperty(copy, key, descriptor)
  }
  return copy
}

/** Whether `value` or anything down its causes (within {@link MAX_DEPTH}) has a hidden field. */
function needsCleaning (value: unknown, depth: number, seen: Set<object>): boolean {
  if (typeof value !== 'object' || value === null || seen.has(value)) return false
  seen.add(value)
  const keys = Reflect.ownKeys(value)
  if (keys.some(hidden)) return true
  const inner: unknown[] = []
  for (const key of keys) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key) as PropertyDescriptor
    if (!('value' in descriptor)) continue
    if (key === 'cause') inner.push(descriptor.value)
    if (key === 'errors' && Array.isArray(descriptor.value)) inner.push(...(descriptor.value as unknown[]))
  }
  if (inner.length > 0 && depth >= MAX_DEPTH) return true
  return inner.some((v) => needsCleaning(v, depth + 1, seen))
}
