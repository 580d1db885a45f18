import { inspect } from 'node:util'
import { SourcePayloadError, describe } from '../errors.js'
import { typeName } from '../internal/validate.js'

/**
 * Turns an entry's payload text into the record pushed downstream; throws
 * for a payload that is not a record. `id` is the entry's id in the log.
 *
 * @example
 * ```ts
 * const decode: Decode = (text, id) => ({ ...JSON.parse(text) as object, entryId: id })
 * const source = redisStreamSource({ url: 'redis://10.0.0.5:6379', stream: 'runs', group: 's3-sink', decode })
 * ```
 */
export type Decode = (text: string, id: string) => object

/**
 * What a log source does with an entry whose payload is not a record.
 *
 * @example
 * ```ts
 * const onInvalid: SourceOnInvalid = 'dead-letter'
 * const source = redisStreamSource({ url: 'redis://10.0.0.5:6379', stream: 'runs', group: 's3-sink', onInvalid })
 * ```
 */
export type SourceOnInvalid = 'error' | 'skip' | 'dead-letter'

/** The default {@link Decode}: the payload must be a JSON object. */
export function decodeJsonObject (text: string): object {
  const value: unknown = JSON.parse(text)
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new TypeError(`a record must be a JSON object, got ${typeName(value)}`)
  }
  return value
}

/** Runs `decode`, turning anything it throws into a {@link SourcePayloadError}. */
export function decodePayload (decode: Decode, text: string, id: string): object | SourcePayloadError {
  try {
    const record = decode(text, id)
    if (typeof record !== 'object' || record === null) return new SourcePayloadError(id, `decode returned ${typeName(record)}, not an object`)
    return record
  } catch (err) {
    return new SourcePayloadError(id, describe(err), { cause: err })
  }
}

const HEAD_CHARS = 1024

/**
 * The stand-in pushed for an entry that is not a record under
 * `onInvalid: 'dead-letter'`: serializing it throws its
 * {@link SourcePayloadError}, so `minuteWindow({ onInvalid: 'dead-letter' })`
 * writes it into the window's dead-letter batch, and the entry is
 * acknowledged only once that batch is stored. `util.inspect` shows the
 * payload's first 1024 characters, which is what the dead-letter line keeps.
 *
 * @example
 * ```ts
 * const source = redisStreamSource({ url: 'redis://10.0.0.5:6379', stream: 'runs', group: 's3', onInvalid: 'dead-letter' })
 * source.on('data', (r) => { if (r instanceof InvalidPayload) console.warn('dead letter', r.error.id) })
 * await pipeline(source, minuteWindow({ onInvalid: 'dead-letter' }), gzip(), s3Writable(cfg))
 * ```
 */
export class InvalidPayload {
  readonly error: SourcePayloadError
  readonly #head: string

  constructor (error: SourcePayloadError, payload: string) {
    this.error = error
    this.#head = payload.slice(0, HEAD_CHARS)
  }

  /** Throws: a stringify that reads a record's `text` (the CLI's) fails on it like JSON.stringify does. */
  get text (): string { throw this.error }

  /** Throws the payload's error: `JSON.stringify` of it fails, so a window applies its `onInvalid`. */
  toJSON (): never { throw this.error }

  /** What a dead-letter line shows of it: the entry's id and the payload's head. */
  [inspect.custom] (): string {
    return `InvalidPayload(${this.error.id}) ${JSON.stringify(this.#head)}`
  }
}
