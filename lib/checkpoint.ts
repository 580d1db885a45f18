import type { DurableCallback } from './durable.js'
import { InvalidOptionError } from './errors.js'
import type { Position } from './source-position.js'
import { validateFunction, validateObject, validateString } from './internal/validate.js'

/**
 * Options of {@link createCheckpoint}.
 *
 * @example
 * ```ts
 * const options: CheckpointOptions<number> = { onCommit: (partition, offset) => { commit(partition, offset) } }
 * const checkpoint = createCheckpoint(options)
 * ```
 */
export interface CheckpointOptions<P extends Position = Position> {
  /**
   * Called, synchronously inside the acknowledgement that allowed it, each
   * time a partition's committed position advances. A throw propagates to
   * the caller of that acknowledgement (a sink then fails with `ERR_CALLBACK`).
   * What it returns, the acknowledgement returns: a promise (an async commit)
   * is waited for by the sink's `final`, and its rejection fails the sink
   * with `ERR_CALLBACK` instead of going unhandled.
   */
  onCommit?: (partition: string, position: P) => unknown
}

/** One tracked record of a partition. */
interface Entry<P> {
  position: P
  done: boolean
}

/**
 * Turns out-of-order acknowledgements into a committed position per
 * partition that only moves forward: position N is committed once N and
 * every record tracked before it in its partition are durable. Uploads
 * complete out of order (a small batch overtakes a large one), so a source
 * that commits offsets (a Kafka consumer, a file reader, a stream ID) must
 * never commit the position of a durable record while an earlier one is
 * still on its way: a crash would lose that earlier one.
 *
 * Track records in source order; positions are compared only for equality,
 * so any offsets or IDs work. Memory: one small entry per record tracked but
 * not yet committed.
 *
 * @example
 * ```ts
 * const checkpoint = createCheckpoint<number>({ onCommit: (partition, offset) => { commit(partition, offset) } })
 * for await (const msg of messages) {
 *   const record = JSON.parse(msg.value) as Record<PropertyKey, unknown>
 *   record[onDurable] = checkpoint.track(String(msg.partition), msg.offset)
 *   if (!feed.write(record)) await once(feed, 'drain') // feed: the pipeline's object-mode source (a PassThrough)
 * }
 * ```
 */
export function createCheckpoint<P extends Position = Position> (options: CheckpointOptions<P> = {}): Checkpoint<P> {
  validateObject(options, 'options')
  const onCommit = validateFunction<(partition: string, position: P) => unknown>(options.onCommit, 'options.onCommit')
  return new Checkpoint<P>(onCommit)
}

/**
 * What {@link createCheckpoint} returns.
 *
 * @example
 * ```ts
 * const ack = checkpoint.track('p0', 41)
 * ack()
 * checkpoint.committed('p0') // 41, once everything tracked before 41 in p0 is acknowledged too
 * ```
 */
export class Checkpoint<P extends Position = Position> {
  readonly #onCommit: ((partition: string, position: P) => unknown) | undefined
  readonly #partitions = new Map<string, { entries: Array<Entry<P>>, head: number, committed: P | undefined }>()

  /** @internal Use {@link createCheckpoint}. */
  constructor (onCommit: ((partition: string, position: P) => unknown) | undefined) {
    this.#onCommit = onCommit
  }

  /**
   * Registers the next record of `partition` (in source order) and returns
   * its acknowledgement: put it under `record[onDurable]`. Calling it more
   * than once counts once. A number or bigint position must be above the
   * last one tracked in its partition.
   */
  track (partition: string, position: P): DurableCallback {
    validateString(partition, 'partition', { empty: true })
    if (!isPosition(position)) throw new InvalidOptionError('position', 'must be a string, a finite number or a bigint')
    let state = this.#partitions.get(partition)
    if (state === undefined) this.#partitions.set(partition, state = { entries: [], head: 0, committed: undefined })
    const previous = state.entries.length > state.head ? state.entries[state.entries.length - 1]!.position : state.committed
    if (typeof position !== 'string' && typeof previous === typeof position && previous! >= position) {
      throw new InvalidOptionError('position', `must be above the last one tracked in partition "${partition}"; track records in source order`)
    }
    const entry: Entry<P> = { position, done: false }
    state.entries.push(entry)
    const owner = state
    return () => {
      if (entry.done) return
      entry.done = true
      return this.#advance(partition, owner)
    }
  }

  /** The committed position of `partition`: every record up to it is durable. `undefined` before the first. */
  committed (partition: string): P | undefined {
    return this.#partitions.get(partition)?.committed
  }

  /** Records tracked but not committed yet, in `partition` or in all. */
  pending (partition?: string): number {
    let n = 0
    for (const [name, state] of this.#partitions) if (partition === undefined || name === partition) n += state.entries.length - state.head
    return n
  }

  /** Every partition tracked so far. */
  get partitions (): string[] {
    return [...this.#partitions.keys()]
  }

  /** Returns what `onCommit` returned, if it was called. */
  #advance (partition: string, state: { entries: Array<Entry<P>>, head: number, committed: P | undefined }): unknown {
    const { entries } = state
    const start = state.head
    while (state.head < entries.length && entries[state.head]!.done) state.head++
    if (state.head === start) return undefined
    state.committed = entries[state.head - 1]!.position
    // Drop what is committed once it is most of the array, so memory follows the pending records.
    if (state.head > 1024 && state.head * 2 > entries.length) {
      entries.splice(0, state.head)
      state.head = 0
    }
    return this.#onCommit?.(partition, state.committed)
  }
}

function isPosition (value: unknown): value is Position {
  return typeof value === 'string' || typeof value === 'bigint' || (typeof value === 'number' && Number.isFinite(value))
}
