/**
 * The counters of the records a run read and did not deliver, by what left
 * them out (a part of the CLI's `Progress`).
 *
 * @example
 * ```ts
 * const counts: LeftOutCounts = { invalid: 0, late: 2, lateAction: 'dropped', filtered: { api: 3, failed: 0 }, unmatched: 0 }
 * leftOutNote(counts) // ', 2 late records dropped, 3 records filtered out by --apis-to-send'
 * ```
 */
export interface LeftOutCounts {
  /** Input lines that were not JSON objects, skipped or dead-lettered under `--on-invalid`. */
  invalid: number
  /** What became of them: `'skipped'` or `'dead-lettered'`. */
  invalidAction?: string
  /** Records later than `--allowed-lateness-ms` (with `--time-field`): stored under `late/`, or dropped with `--on-late drop`. */
  late: number
  /** What became of them: `'under late/'` (default) or `'dropped'`. */
  lateAction?: string
  /** Records the filter left out: not in `--apis-to-send` (`api`), failed Runs under `--skip-on-fail` (`failed`). */
  readonly filtered: { api: number, failed: number }
  /** Records no `--route` took, left out under `--unmatched drop`. */
  unmatched: number
}

/**
 * The summary's count of every record read and not delivered, by what left
 * it out: `, 3 invalid lines skipped, 2 late records dropped, 4 records
 * filtered out by --apis-to-send, 1 failed Run filtered out by
 * --skip-on-fail, 2 unmatched records dropped (--unmatched drop)`; each part
 * once there is one, so a run that left nothing out adds nothing.
 *
 * @example
 * ```ts
 * const line = `s3-sink: ${progress.recordsRead} records read, ${progress.recordsDelivered} delivered${leftOutNote(progress)}`
 * ```
 */
export function leftOutNote (progress: LeftOutCounts): string {
  return invalidNote(progress) + lateNote(progress) + droppedNote(progress)
}

/** `, 3 invalid lines skipped`: shown once there is one. */
function invalidNote (progress: LeftOutCounts): string {
  if (progress.invalid === 0) return ''
  return `, ${plural(progress.invalid, 'invalid line')} ${progress.invalidAction ?? 'skipped'}`
}

/** `, 3 late records under late/` (or `dropped`): shown once there is one (only with --time-field). */
function lateNote (progress: LeftOutCounts): string {
  return progress.late === 0 ? '' : `, ${plural(progress.late, 'late record')} ${progress.lateAction ?? 'under late/'}`
}

/** What the filter and the routes left out: `, 3 records filtered out by --apis-to-send, 1 failed Run filtered out by --skip-on-fail, 2 unmatched records dropped (--unmatched drop)`. */
function droppedNote (progress: LeftOutCounts): string {
  const { api, failed } = progress.filtered
  const parts = [
    api === 0 ? '' : `${plural(api, 'record')} filtered out by --apis-to-send`,
    failed === 0 ? '' : `${plural(failed, 'failed Run')} filtered out by --skip-on-fail`,
    progress.unmatched === 0 ? '' : `${plural(progress.unmatched, 'unmatched record')} dropped (--unmatched drop)`
  ]
  return parts.filter((part) => part !== '').map((part) => `, ${part}`).join('')
}

/** `1 record`, `2 records`. */
function plural (count: number, noun: string): string {
  return `${count} ${noun}${count === 1 ? '' : 's'}`
}
