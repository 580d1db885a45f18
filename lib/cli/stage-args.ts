import { InvalidOptionError } from '../errors.js'
import type { Compression } from '../internal/compression.js'
import { validateOneOf } from '../internal/validate.js'
import type { Values } from './cli-flags.js'
import { integer, size } from './flag-values.js'

/**
 * The flags of the stages' own options, parsed; ranges are the stages' to
 * check (their errors name the flag).
 *
 * @example
 * ```ts
 * const flags: StageFlags = { onLate: 'drop', chunkSize: 16 * 1024, unmatched: 'error' }
 * ```
 */
export interface StageFlags {
  /** `--on-late`: a record later than allowed goes under late/ (`partition`), is dropped, or fails the run. */
  onLate?: 'partition' | 'drop' | 'error'
  /** `--idle-timeout-ms`: an event-time batch no record joined for this long is closed. */
  idleTimeoutMs?: number
  /** `--chunk-size`: NDJSON is coalesced into body chunks of about this many bytes. */
  chunkSize?: number
  /** `--block-size`: input bytes per block of gzip with `--gzip-threads` above 1, and of zstd. */
  blockSize?: number
  /** `--gzip-chunk-size`: output chunk size of single-stream gzip. */
  gzipChunkSize?: number
  /** `--unmatched`: a record no `--route` takes fails the run (`error`) or is left out (`drop`). */
  unmatched: 'error' | 'drop'
}

/** Flags that windows by event time give meaning to. */
const EVENT_TIME_ONLY = ['on-late', 'idle-timeout-ms', 'allowed-lateness-ms'] as const

/**
 * The flags of the stages' own tuning options (`minuteWindow()`'s `onLate`,
 * `idleTimeoutMs`, `chunkSize`; `compress()`'s `blockSize`, `chunkSize`;
 * `route()`'s `unmatched`). A flag that the other flags make meaningless is
 * refused naming it, rather than ignored: `--on-late` without `--time-field`,
 * `--block-size` for one gzip stream, `--unmatched` without `--route`.
 *
 * @example
 * ```ts
 * stageFlagsOf(parseFlags(['--time-field', 'at', '--on-late', 'drop']).values, 'gzip') // { onLate: 'drop', unmatched: 'error' }
 * ```
 */
export function stageFlagsOf (v: Values, compression: Compression): StageFlags {
  if (v['time-field'] === undefined) {
    const alone = EVENT_TIME_ONLY.find((flag) => v[flag] !== undefined)
    if (alone !== undefined) throw new InvalidOptionError(`--${alone}`, 'needs --time-field (windows by event time)')
  }
  const threads = integer(v['gzip-threads'], '--gzip-threads') ?? 1
  if (v['block-size'] !== undefined && !(compression === 'zstd' || (compression === 'gzip' && threads > 1))) {
    throw new InvalidOptionError('--block-size', 'applies to --compression zstd, or gzip with --gzip-threads above 1 (one gzip stream has no blocks)')
  }
  if (v['gzip-chunk-size'] !== undefined && !(compression === 'gzip' && threads === 1)) {
    throw new InvalidOptionError('--gzip-chunk-size', 'applies to one gzip stream only (not with --gzip-threads above 1, zstd or none)')
  }
  if (v.unmatched !== undefined && v.route === undefined) throw new InvalidOptionError('--unmatched', 'needs --route')
  return {
    ...defined('onLate', validateOneOf(v['on-late'], '--on-late', ['partition', 'drop', 'error'] as const)),
    ...defined('idleTimeoutMs', integer(v['idle-timeout-ms'], '--idle-timeout-ms')),
    ...defined('chunkSize', size(v['chunk-size'], '--chunk-size')),
    ...defined('blockSize', size(v['block-size'], '--block-size')),
    ...defined('gzipChunkSize', size(v['gzip-chunk-size'], '--gzip-chunk-size')),
    unmatched: validateOneOf(v.unmatched, '--unmatched', ['error', 'drop'] as const) ?? 'error'
  }
}

/** `{ [key]: value }`, or nothing for a flag not given: the stages' own defaults then apply. */
function defined<K extends string, V> (key: K, value: V | undefined): Partial<Record<K, V>> {
  return value === undefined ? {} : { [key]: value } as Record<K, V>
}
