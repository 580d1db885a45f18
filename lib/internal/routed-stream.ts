import { Transform, finished, pipeline, type Readable, type TransformCallback } from 'node:stream'
import { ackNow } from './durable-callback.js'
import { BatchAbortedError, CallbackError, toError } from '../errors.js'
import { whenWritable } from './drain.js'

/** One output of a routed stream: its predicate and the stages its records go through (records in, batches out). */
export interface RoutePlan {
  name: string
  /** `undefined` takes every record. */
  when: ((record: unknown) => boolean) | undefined
  stages: Transform[]
  /** Named in the `CallbackError` of a `when` that throws. */
  option: string
}

/**
 * A record no plan takes: `'drop'` announces it (`'drop'`, reason
 * `'route'`) and acknowledges it; `'error'` fails the stream with the
 * caller's `ERR_CALLBACK`, worded for whoever set the routes up (the
 * library's options or the CLI's flags), so each says what to do in its
 * own terms.
 */
export interface Unmatched {
  policy: 'error' | 'drop'
  /** The error for record `index` (0-based, of the records this stream was given). */
  error: (record: unknown, index: number) => CallbackError
}

/**
 * Records in, batches out: each record goes to the first plan whose `when`
 * takes it, and every plan's batches leave through this one stream, so one
 * uploader serves them all with one backpressure. `route()`, the routed
 * `createS3Sink()` and the CLI's `--route` are built on it. `onBatch` learns
 * the route of every batch that leaves.
 */
export function routedStream (plans: RoutePlan[], unmatched: Unmatched, onBatch?: (batch: unknown, route: string) => void): Transform {
  return new RoutedStream(plans, unmatched, onBatch)
}

interface Chain { name: string, when: RoutePlan['when'], head: Transform, tail: Readable, option: string }

class RoutedStream extends Transform {
  readonly #chains: Chain[]
  readonly #unmatched: Unmatched
  #index = 0

  constructor (plans: RoutePlan[], unmatched: Unmatched, onBatch: ((batch: unknown, route: string) => void) | undefined) {
    super({ writableObjectMode: true, readableObjectMode: true, readableHighWaterMark: 1 })
    this.#unmatched = unmatched
    this.#chains = plans.map(({ name, when, stages, option }) => {
      const tail = stages[stages.length - 1]!
      if (stages.length > 1) pipeline(stages, (err) => { if (err !== undefined && err !== null && !this.destroyed) this.destroy(err) })
      else tail.on('error', (err) => { if (!this.destroyed) this.destroy(err) })
      // Batches of every output leave through this stream; a full buffer pauses them all.
      tail.on('data', (batch: unknown) => {
        onBatch?.(batch, name)
        if (!this.push(batch)) for (const chain of this.#chains) chain.tail.pause()
      })
      return { name, when, head: stages[0]!, tail, option }
    })
  }

  override _read (size: number): void {
    for (const chain of this.#chains ?? []) chain.tail.resume()
    // Transform's own _read releases a transform callback parked on a full buffer.
    super._read(size)
  }

  override _transform (record: unknown, _encoding: BufferEncoding, cb: TransformCallback): void {
    const index = this.#index++
    let chain: Chain | undefined
    for (const candidate of this.#chains) {
      if (candidate.when === undefined) {
        chain = candidate
        break
      }
      let taken: unknown
      try {
        taken = candidate.when(record)
      } catch (err) {
        return cb(new CallbackError(candidate.option, 'threw', { cause: err }))
      }
      if (taken === true) {
        chain = candidate
        break
      }
      if (taken !== false) return cb(new CallbackError(candidate.option, 'must return a boolean'))
    }
    if (chain === undefined) return this.#noRoute(record, index, cb)
    if (chain.head.write(record)) return cb()
    whenWritable(chain.head, () => new BatchAbortedError(`route "${chain.name}" closed`), cb)
  }

  override _flush (cb: TransformCallback): void {
    let left = this.#chains.length
    for (const chain of this.#chains) {
      finished(chain.tail, (err) => {
        if (err !== undefined && err !== null) return
        if (--left === 0) cb()
      })
      chain.head.end()
    }
  }

  override _destroy (err: Error | null, cb: (error?: Error | null) => void): void {
    const reason = err ?? new BatchAbortedError('the routes were destroyed before their outputs ended')
    for (const chain of this.#chains) if (!chain.head.destroyed) chain.head.destroy(reason)
    cb(err)
  }

  #noRoute (record: unknown, index: number, cb: TransformCallback): void {
    if (this.#unmatched.policy === 'error') return cb(this.#unmatched.error(record, index))
    this.emit('drop', { record, reason: 'route' })
    try {
      ackNow(record, this)
    } catch (err) {
      return cb(toError(err))
    }
    cb()
  }
}
