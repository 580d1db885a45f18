import { InvalidOptionError, KeyTemplateError } from './errors.js'
import { dateFormatter, validateTimeZone } from './internal/date-formatter.js'
import { MISSING_FIELD_FOLDER, fieldSegment, readPath } from './internal/key-segment.js'
import { templateParts } from './internal/template-parts.js'
import { validateKeyText, validateKnownKeys, validateObject, validateString } from './internal/validate.js'

/**
 * Options of {@link keyTemplate}.
 *
 * @example
 * ```ts
 * const options: KeyTemplateOptions = { timeZone: 'Europe/Berlin' }
 * const t = keyTemplate('runs/dt={YYYY}-{MM}-{DD}/{id}{ext}', options)
 * ```
 */
export interface KeyTemplateOptions {
  /** IANA time zone of the date placeholders, e.g. `Europe/Berlin`. Default `UTC`. */
  timeZone?: string
  /** Require `{id}`, the part that keeps keys from colliding. Default true; manifests name one object per window and need none. */
  unique?: boolean
  /** Name of the option the template came from, for error messages. Default `options.keyTemplate`. */
  option?: string
  /** Name of the option the time zone came from, for error messages. */
  timeZoneOption?: string
}

const OPTION_NAMES = Object.keys({ timeZone: true, unique: true, option: true, timeZoneOption: true } satisfies Record<keyof KeyTemplateOptions, true>)

/**
 * What a key is rendered from.
 *
 * @example
 * ```ts
 * const values: KeyTemplateValues = { time: Date.now(), id: '9f2c', seq: 0, ext: '.gz', prefix: '', fields: { 'apiInfo.name': 'search' } }
 * keyTemplate('runs/api={apiInfo.name}/{id}{ext}').render(values) // runs/api=search/9f2c.gz
 * ```
 */
export interface KeyTemplateValues {
  /** ms since the epoch; the date placeholders show it in the template's time zone. */
  time: number
  /** The unique part: random, or deterministic for a replayable feed. */
  id: string
  seq: number
  /** `.gz`, `.zst` or `''`. */
  ext: string
  /** The normalized prefix (`''` or ending in `/`). */
  prefix: string
  /** Sanitized values of the template's record fields, by dotted path ({@link KeyTemplate.partitionOf}). */
  fields?: Readonly<Record<string, string>>
  /** A folder apart from the feed (`dead-letter`, `late`), put right after `{prefix}` (or first). */
  special?: string
}

/**
 * A parsed, validated key template.
 *
 * @example
 * ```ts
 * const t: KeyTemplate = keyTemplate('runs/api={apiInfo.name}/dt={YYYY}-{MM}-{DD}/{id}{ext}')
 * t.fields // ['apiInfo.name']
 * const sink = s3Writable({ bucket: 'logs', region: 'us-west-2', keyTemplate: t })
 * ```
 */
export interface KeyTemplate {
  /** The template text as given. */
  readonly source: string
  /** The record fields it uses, as dotted paths, in order of appearance. */
  readonly fields: readonly string[]
  readonly timeZone: string
  /** The key for one object. Throws `ERR_KEY_TEMPLATE` when a field's value is not given. */
  render (values: KeyTemplateValues): string
  /** The sanitized value of each template field in a record (a missing field gives `_missing`). */
  partitionOf (record: unknown): Record<string, string>
}

/**
 * Parses a key template once, so a bad one fails where the sink is built:
 * `{YYYY}` `{MM}` `{DD}` `{HH}` `{mm}` `{ss}` (the batch's time in UTC or
 * `timeZone`), `{id}` (required: the unique part), `{seq}`, `{ext}` (`.gz`,
 * `.zst` or empty), `{prefix}` and any other `{dotted.path}` for a record
 * field. Field values are sanitized for keys (`/`, `%`, control characters
 * and Hive's special characters percent-encoded, `..` escaped, length capped)
 * and a missing field becomes the folder `_missing`.
 *
 * @example
 * ```ts
 * const t = keyTemplate('runs/api={apiInfo.name}/dt={YYYY}-{MM}-{DD}/{id}{ext}')
 * t.fields // ['apiInfo.name']
 * await pipeline(source, minuteWindow({ partitionBy: t.fields }), gzip(), keyRotate({ keyTemplate: t }), s3Writable(cfg))
 * ```
 */
export function keyTemplate (source: string, options: KeyTemplateOptions = {}): KeyTemplate {
  validateObject(options, 'options')
  validateKnownKeys(options, 'options', OPTION_NAMES)
  const option = options.option ?? 'options.keyTemplate'
  validateString(source, option)
  const timeZone = validateTimeZone(options.timeZone, options.timeZoneOption ?? (option === 'options.keyTemplate' ? 'options.timeZone' : `${option}.timeZone`))
  const parts = templateParts(source, option)
  if (options.unique !== false && !parts.some((p) => p.kind === 'id')) {
    throw new InvalidOptionError(option, 'must contain {id}: without a unique part, two objects could get the same key')
  }
  // The fixed text must make a valid key whatever the values: try it with sample ones.
  const sample = parts.map((p) => p.kind === 'text' ? p.text : p.kind === 'prefix' ? 'p/' : p.kind === 'ext' ? '' : 'x').join('')
  if (sample.includes('//')) throw new InvalidOptionError(option, 'must not make an empty folder ("//"; {prefix} already ends with "/")')
  try {
    validateKeyText(sample, option)
  } catch (err) {
    throw new InvalidOptionError(option, (err as InvalidOptionError).message.slice(option.length + 1))
  }
  const fields = [...new Set(parts.flatMap((p) => p.kind === 'field' ? [p.path] : []))]
  const formatDate = dateFormatter(timeZone)

  return Object.freeze({
    source,
    fields: Object.freeze(fields),
    timeZone,
    render (values: KeyTemplateValues): string {
      const date = parts.some((p) => p.kind === 'date') ? formatDate(values.time) : undefined
      let key = ''
      let placed = values.special === undefined
      for (const p of parts) {
        if (!placed && p.kind !== 'prefix') {
          key += `${values.special}/`
          placed = true
        }
        switch (p.kind) {
          case 'text': key += p.text; break
          case 'date': key += date![p.part]; break
          case 'id': key += values.id; break
          case 'seq': key += String(values.seq); break
          case 'ext': key += values.ext; break
          case 'prefix': key += values.prefix; break
          case 'field': {
            const value = values.fields?.[p.path] ?? (values.special === undefined ? undefined : MISSING_FIELD_FOLDER)
            if (value === undefined) throw new KeyTemplateError(`{${p.path}}`, 'has no value in the batch: partition the window by it (minuteWindow({ partitionBy }))')
            key += value
          }
        }
      }
      if (!placed) key += `${values.special}/`
      try {
        validateKeyText(key, 'key')
      } catch (err) {
        throw new KeyTemplateError(source, `gives an unusable key: ${(err as Error).message}`)
      }
      return key
    },
    partitionOf (record: unknown): Record<string, string> {
      const out: Record<string, string> = {}
      for (const p of parts) if (p.kind === 'field') out[p.path] = fieldSegment(readPath(record, p.names))
      return out
    }
  })
}

/**
 * Tells a parsed {@link KeyTemplate} from other values (a template string, say).
 *
 * @example
 * ```ts
 * const option: string | KeyTemplate = process.env.KEY_TEMPLATE ?? keyTemplate('{prefix}{id}{ext}')
 * const t = isKeyTemplate(option) ? option : keyTemplate(option)
 * ```
 */
export function isKeyTemplate (value: unknown): value is KeyTemplate {
  return typeof value === 'object' && value !== null && typeof (value as KeyTemplate).render === 'function' &&
    typeof (value as KeyTemplate).partitionOf === 'function' && Array.isArray((value as KeyTemplate).fields)
}
