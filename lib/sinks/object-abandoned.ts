/**
 * What became of an object a sink gave up on (destroyed, or failed), as far
 * as the store's answers tell:
 * - `'not-stored'`: no object and nothing left behind: it was never sent, the
 *   store refused it, or its multipart upload was aborted;
 * - `'parts-left'`: no object, but AbortMultipartUpload failed, so its parts
 *   stay (billed, invisible to listings) until a lifecycle rule or
 *   `abortIncompleteUploads()` removes them;
 * - `'unknown'`: its PutObject or CompleteMultipartUpload went out and no
 *   answer came back (cancelled in flight, connection lost, timeout, 500):
 *   the store may hold the whole object.
 *
 * @example
 * ```ts
 * sink.on('abandoned', ({ key, outcome }: ObjectAbandoned) => { if (outcome === 'unknown') console.warn('may be stored:', key) })
 * ```
 */
export type AbandonedOutcome = 'not-stored' | 'parts-left' | 'unknown'

/**
 * What the `'abandoned'` event of `s3Writable()` and `createS3Sink()`
 * carries, once per object under way when the sink was destroyed or failed,
 * before `'close'`. None of its records' `onDurable` callbacks ran. An object
 * whose answer arrived during the abort is not abandoned: it gets its
 * `'object'` event (and its acknowledgements) like any other.
 *
 * @example
 * ```ts
 * const unknown: string[] = []
 * sink.on('abandoned', (o: ObjectAbandoned) => { if (o.outcome === 'unknown') unknown.push(o.key) })
 * ```
 */
export interface ObjectAbandoned {
  bucket: string
  key: string
  /** Records the object held (or would have held). */
  records: number
  outcome: AbandonedOutcome
}
