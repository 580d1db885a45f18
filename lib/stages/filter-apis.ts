import { Transform, type TransformCallback } from 'node:stream'
import { toError } from '../errors.js'
import { apiFilter, type ApiFilterOptions } from '../internal/api-filter.js'
import { ackNow } from '../internal/durable-callback.js'

/**
 * Options of {@link filterApis}. Unknown fields are ignored on purpose, so the
 * whole sink config (`{ type, bucket, apisToSend, skipOnFail, ... }`) can be
 * passed as is.
 */
export interface FilterApisOptions extends ApiFilterOptions {}

/**
 * Keeps the records the sink should deliver: those whose API name is in
 * `apisToSend` (all when it is absent), minus failed Runs when `skipOnFail`
 * is true.
 *
 * A record whose API name cannot be read (not a string: no `apiInfo`, a
 * number, `null`, ...) never matches `apisToSend`, so it is dropped when the
 * list is given and kept when it is not. Every dropped record is announced
 * with a `'drop'` event (`{ record, reason: 'api' | 'failed' }`), so nothing
 * disappears unseen, and acknowledged at once (its `onDurable` callback runs:
 * it is let go on purpose). A throwing callback, `onDurable` included, fails
 * the stream with `ERR_CALLBACK`.
 *
 * @example
 * ```ts
 * await pipeline(source, filterApis({ apisToSend: ['search'], skipOnFail: true }), minuteWindow(), gzip(), s3Writable(cfg))
 * ```
 */
export function filterApis (options: FilterApisOptions = {}): Transform {
  const decide = apiFilter(options)
  return new Transform({
    objectMode: true,
    transform (record: unknown, _encoding: BufferEncoding, cb: TransformCallback) {
      try {
        const reason = decide(record)
        if (reason === null) return cb(null, record)
        this.emit('drop', { record, reason })
        ackNow(record)
      } catch (err) {
        return cb(toError(err))
      }
      cb()
    }
  })
}
