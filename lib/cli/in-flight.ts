import type { AbandonedOutcome, ObjectAbandoned } from '../sinks/object-abandoned.js'

/** Objects (or --out-dir files) a run gave up on when it was aborted or failed, by what they left (see `ObjectAbandoned`). */
export class InFlight {
  readonly objects: Record<AbandonedOutcome, number> = { 'not-stored': 0, 'parts-left': 0, unknown: 0 }
  /** Records in the objects of unknown outcome: each may be stored, or not. */
  unknownRecords = 0

  /** Counts one `'abandoned'` event: of `s3Writable()`, or of the files under --out-dir. */
  add (abandoned: Pick<ObjectAbandoned, 'outcome' | 'records'>): void {
    this.objects[abandoned.outcome]++
    if (abandoned.outcome === 'unknown') this.unknownRecords += abandoned.records
  }

  get total (): number {
    return this.objects['not-stored'] + this.objects['parts-left'] + this.objects.unknown
  }

  /**
   * `s3-sink: 3 objects in flight at abort: 2 not stored, 1 outcome unknown
   * (5 records; sent, S3 never answered: it may be stored)`, or `''` when
   * nothing was in flight. `at` names the moment: `abort`, `failure`.
   *
   * @example
   * ```ts
   * const note = inFlight.note('abort')
   * if (note !== '') process.stderr.write(`${note}\n`)
   * ```
   */
  note (at: string): string {
    if (this.total === 0) return ''
    const notStored = this.objects['not-stored']
    const partsLeft = this.objects['parts-left']
    const unknown = this.objects.unknown
    const parts = [
      notStored === 0 ? '' : `${notStored} not stored`,
      partsLeft === 0 ? '' : `${partsLeft} not stored but ${partsLeft === 1 ? 'its' : 'their'} multipart parts left in S3 (AbortMultipartUpload failed; a lifecycle rule or abortIncompleteUploads() removes them)`,
      unknown === 0 ? '' : `${unknown} outcome unknown (${this.unknownRecords} record${this.unknownRecords === 1 ? '' : 's'}; sent, S3 never answered: ${unknown === 1 ? 'it' : 'each'} may be stored)`
    ]
    return `s3-sink: ${this.total} object${this.total === 1 ? '' : 's'} in flight at ${at}: ${parts.filter((p) => p !== '').join(', ')}`
  }
}
