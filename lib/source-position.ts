import { CallbackError } from './errors.js'

/**
 * The key under which a record carries its position in its source: an
 * offset, a stream entry ID, `file:line`. Like {@link onDurable}, a symbol
 * key, so the stored JSON is unchanged.
 *
 * Positions are what makes keys stable across replays: with
 * `keyRotate({ stableKeys: true })` a batch is named after the position of
 * its first record, so a replay from a checkpoint that cuts batches at the
 * same records (see `minuteWindow`'s `closeOnTime`) writes the same keys
 * again instead of adding objects. `Symbol.for`, so two copies of this package agree.
 *
 * @example
 * ```ts
 * import { onDurable, sourcePosition } from 's3-stream-sink'
 * record[sourcePosition] = `${topic}+${partition}+${offset}`
 * record[onDurable] = checkpoint.track(String(partition), offset)
 * ```
 */
export const sourcePosition: unique symbol = Symbol.for('s3-stream-sink.sourcePosition')

/**
 * A position in a source: an offset, an entry ID. Compared only for equality, never ordered.
 *
 * @example
 * ```ts
 * const position: Position = message.offset // a string, number or bigint
 * feed.write({ ...record, [sourcePosition]: position })
 * ```
 */
export type Position = string | number | bigint

/**
 * The position `record` carries under {@link sourcePosition}, if any. Throws
 * a `CallbackError` for anything but a string, a finite number or a bigint:
 * a position that cannot name a key must not be ignored silently.
 */
export function positionOf (record: unknown): Position | undefined {
  if (typeof record !== 'object' || record === null) return undefined
  const position = (record as { [sourcePosition]?: unknown })[sourcePosition]
  if (position === undefined || typeof position === 'string' || typeof position === 'bigint') return position
  if (typeof position === 'number' && Number.isFinite(position)) return position
  throw new CallbackError('record[sourcePosition]', 'must be a string, a finite number or a bigint')
}
