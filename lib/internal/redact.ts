/**
 * SDK errors keep the raw HTTP response in `$response`; through its socket it
 * reaches the request's headers, session token included, which
 * `util.inspect(err, { showHidden: true })` prints. The SDK defines it
 * non-configurable, so the error is copied without it (same prototype, so
 * `instanceof` and `name` still hold). Anything else is returned as is.
 */
export function redact (err: unknown): unknown {
  if (typeof err !== 'object' || err === null || !Object.hasOwn(err, '$response')) return err
  const copy = Object.create(Object.getPrototypeOf(err) as object) as object
  for (const key of Reflect.ownKeys(err)) {
    if (key !== '$response') Object.defineProperty(copy, key, Object.getOwnPropertyDescriptor(err, key) as PropertyDescriptor)
  }
  return copy
}
