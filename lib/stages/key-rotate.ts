import { Transform, type TransformCallback } from 'node:stream'
import { isBatch, type Batch } from '../batch.js'
import { CallbackError, InvalidBatchError, InvalidOptionError, toError } from '../errors.js'
import { defaultKey, normalizePrefix, stableId, stableKey } from '../internal/object-key.js'
import { resolveKeyTemplate, templateKey } from '../internal/template-key.js'
import type { KeyTemplate } from '../key-template.js'
import { validateBoolean, validateFunction, validateKeyText, validateKnownKeys, validateObject } from '../internal/validate.js'

/**
 * Options of {@link keyRotate}.
 *
 * @example
 * ```ts
 * const options: KeyRotateOptions = { prefix: 'runs/', keyTemplate: '{prefix}dt={YYYY}-{MM}-{DD}/{id}{ext}' }
 * await pipeline(source, minuteWindow(), gzip(), keyRotate(options), s3Writable(cfg))
 * ```
 */
export interface KeyRotateOptions {
  /** Key prefix; `logs` and `logs/` give the same keys. Default: none. */
  prefix?: string
  /** Names a batch's object instead of the default format. Gets the batch and the normalized prefix. */
  key?: (batch: Batch, prefix: string) => string
  /**
   * Name each object after where its batch starts in the source instead of
   * at random, so a replay writes the same keys again: IDENTIFIER is the
   * SHA-256 of the batch's partition and first `record[sourcePosition]`,
   * and the date is the batch's window (`windowStart`). Keys repeat only
   * when batches are cut at the same records: use it with
   * `minuteWindow({ closeOnTime: false })` and `maxRecords` / `maxBytes`. A
   * batch without a position fails with `ERR_NO_POSITION`. Default `false`.
   */
  stableKeys?: boolean
  /**
   * A key template (see `keyTemplate()`): a string, parsed here once, or a
   * parsed template. Date parts come from `openedAt` (or, with `stableKeys`,
   * `windowStart`), `{id}` is random (or the stable id), `{ext}` follows the
   * body's compression, and record fields come from `batch.fields`
   * (`minuteWindow({ partitionBy: template.fields })`).
   */
  keyTemplate?: string | KeyTemplate
  /** IANA time zone of `keyTemplate`'s date parts. Default `UTC`. */
  timeZone?: string
}

const OPTION_NAMES = Object.keys({ prefix: true, key: true, stableKeys: true, keyTemplate: true, timeZone: true } satisfies Record<keyof KeyRotateOptions, true>)

/**
 * Names each batch's object. The default key is
 * `[prefix]YYYY/MM/DD/HH/YYYY-MM-DD-HH-MM-SS-IDENTIFIER.gz` (`.ndjson` when
 * the batch is not gzipped), with the UTC time at which the batch's first
 * record arrived and a 64-hex-character random IDENTIFIER. Put it after
 * `gzip()` so the extension matches the body. With `stableKeys`, the key is
 * made of the batch's first source position instead, so replays repeat it.
 * With `keyTemplate`, keys follow the template (`{prefix}`, date parts,
 * `{id}`, `{seq}`, `{ext}`, record fields).
 *
 * @example
 * ```ts
 * await pipeline(source, minuteWindow(), gzip(), keyRotate({ prefix: 'runs/' }), s3Writable(cfg))
 * // runs/2026/11/25/14/2026-11-25-14-03-07-9f2c...e41a.gz
 * const t = keyTemplate('{prefix}api={apiInfo.name}/dt={YYYY}-{MM}-{DD}/{id}{ext}')
 * await pipeline(source, minuteWindow({ partitionBy: t.fields }), gzip(), keyRotate({ prefix: 'runs/', keyTemplate: t }), s3Writable(cfg))
 * ```
 */
export function keyRotate (options: KeyRotateOptions = {}): Transform {
  validateObject(options, 'options')
  validateKnownKeys(options, 'options', OPTION_NAMES)
  const prefix = normalizePrefix(options.prefix, 'options.prefix')
  const key = validateFunction<(batch: Batch, prefix: string) => string>(options.key, 'options.key')
  const stable = validateBoolean(options.stableKeys, 'options.stableKeys') ?? false
  if (stable && key !== undefined) throw new InvalidOptionError('options.stableKeys', 'cannot be combined with options.key: a key function can use batch.acks.first itself')
  const template = resolveKeyTemplate(options.keyTemplate, 'options.keyTemplate', options.timeZone, 'options.timeZone')
  if (template !== undefined && key !== undefined) throw new InvalidOptionError('options.keyTemplate', 'cannot be combined with options.key')

  return new Transform({
    objectMode: true,
    highWaterMark: 1,
    transform (batch: unknown, _encoding: BufferEncoding, cb: TransformCallback) {
      if (!isBatch(batch)) return cb(new InvalidBatchError('keyRotate()'))
      if (key === undefined) {
        let name: string
        try {
          if (template !== undefined) name = templateKey(template, prefix, batch, stable ? { id: stableId(batch), time: batch.windowStart } : {})
          else name = stable ? stableKey(prefix, batch) : defaultKey(prefix, batch)
        } catch (err) {
          return cb(toError(err))
        }
        return cb(null, { ...batch, key: name })
      }
      let name: unknown
      try {
        name = key(batch, prefix)
      } catch (err) {
        return cb(new CallbackError('options.key', 'threw', { cause: err }))
      }
      if (typeof name !== 'string' || name.length === 0) {
        return cb(new CallbackError('options.key', 'must return a non-empty string'))
      }
      try {
        validateKeyText(name, 'options.key()')
      } catch (err) {
        return cb(new CallbackError('options.key', `returned an unusable key: ${(err as InvalidOptionError).message}`, { cause: err }))
      }
      cb(null, { ...batch, key: name })
    }
  })
}
