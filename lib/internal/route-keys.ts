/**
 * The route of each object under way, by key: the routed stream sees which
 * route a batch left, while the shared uploader's `'object'` event names
 * only its key. A key's entry goes once its object is written or given up,
 * so the map holds the objects in flight, no more.
 */
export class RouteKeys {
  /** Routes of a key in the order its batches left: a key written twice (a redelivered Run) is answered in order too. */
  readonly #routes = new Map<string, string[]>()

  /** Remembers the route of a batch that carries a key (every routed batch does: its route names it). */
  note (batch: unknown, route: string): void {
    const key = (batch as { key?: unknown } | null)?.key
    if (typeof key !== 'string') return
    const routes = this.#routes.get(key)
    if (routes === undefined) this.#routes.set(key, [route])
    else routes.push(route)
  }

  /** The route of an object written or given up, forgotten then. */
  take (key: string): string | undefined {
    const routes = this.#routes.get(key)
    const route = routes?.shift()
    if (routes?.length === 0) this.#routes.delete(key)
    return route
  }
}
