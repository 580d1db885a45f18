/**
 * Coalesces acknowledgements: ids acknowledged in the same turn of the event
 * loop (a whole object's records, when its upload completes) go out in one
 * command, one command at a time and in order.
 */
export class AckBatcher {
  readonly #send: (ids: string[]) => Promise<void>
  readonly #settled: (ids: string[], err: unknown) => void
  #pending: string[] = []
  #scheduled = false
  #chain: Promise<void> = Promise.resolve()

  /** `settled` learns each batch's outcome; a failed batch stays unacknowledged in the log, which redelivers it. */
  constructor (send: (ids: string[]) => Promise<void>, settled: (ids: string[], err: unknown) => void) {
    this.#send = send
    this.#settled = settled
  }

  get pending (): number { return this.#pending.length }

  add (id: string): void {
    this.#pending.push(id)
    if (this.#scheduled) return
    this.#scheduled = true
    setImmediate(() => { void this.flush() })
  }

  /** Sends what is queued; resolves once every batch sent so far has settled. */
  async flush (): Promise<void> {
    this.#scheduled = false
    const ids = this.#pending
    this.#pending = []
    if (ids.length > 0) {
      this.#chain = this.#chain.then(async () => {
        try {
          await this.#send(ids)
          this.#settled(ids, undefined)
        } catch (err) {
          this.#settled(ids, err)
        }
      })
    }
    await this.#chain
  }
}
