/**
 * Counters of a destination; a fresh snapshot on every read.
 *
 * @example
 * ```ts
 * const { delivered, failed, pending }: S3DestinationStats = destination.stats
 * console.log(`${delivered} stored, ${failed} lost, ${pending} under way`)
 * ```
 */
export interface S3DestinationStats {
  /** Payloads accepted by `send()`. */
  readonly queued: number
  /** Payloads stored in S3. */
  readonly delivered: number
  /** Objects stored in S3. */
  readonly objects: number
  /** Payloads lost: their route failed or was destroyed before they were stored. */
  readonly failed: number
  /** Payloads accepted and neither delivered, failed nor dropped yet. */
  readonly pending: number
  /**
   * Payloads later than `allowedLatenessMs` (with `timeOf`): stored under
   * `late/` and counted in `delivered` too once stored, or, with
   * `onLate: 'drop'`, counted in `dropped` too.
   */
  readonly late: number
  /** Late payloads `onLate: 'drop'` left out: acknowledged (`onDurable`), never stored, not `failed`. */
  readonly dropped: number
}
