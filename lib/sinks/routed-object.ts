import type { ObjectWritten } from './object-written.js'

/**
 * What the `'object'` event of a routed sink (`createS3Sink({ routes })`)
 * carries: the object, and the route whose Runs it holds.
 *
 * @example
 * ```ts
 * const sink = createS3Sink({ type: 's3', bucket: 'runs', routes: [
 *   { name: 'errors', when: (run) => (run as { apiInfo?: { result?: { status?: string } } }).apiInfo?.result?.status === 'failed', prefix: 'errors/' },
 *   { name: 'runs', prefix: 'runs/', batched: true }
 * ] })
 * sink.on('object', ({ route, key, records }: RoutedObjectWritten) => console.log(route, key, records))
 * ```
 */
export interface RoutedObjectWritten extends ObjectWritten {
  /** The `name` of the route the object's Runs went to. */
  route: string
}
