import type { KeyTemplate } from '../key-template.js'
import type { BatchOptions } from './batch-options.js'

/**
 * One output of a routed sink (`routes`): which Runs, and how they are
 * stored. Without `batched`, one `.json` object per Run, as the sink's
 * per-Run mode writes it; with it, NDJSON windows.
 *
 * @example
 * ```ts
 * const failures: SinkRoute = { name: 'failures', when: isFailedRun, prefix: 'failed/' }
 * const sink = createS3Sink({ type: 's3', bucket: 'runs', region: 'us-west-2', routes: [failures, { name: 'rest', batched: true }] })
 * ```
 */
export interface SinkRoute {
  /** Names the route in errors. */
  name: string
  /** Takes the Runs it returns `true` for; routes are asked in order, the first match wins. Absent (last route only): every Run. */
  when?: (run: unknown) => boolean
  /** Key prefix of the route's objects, after the sink's own `prefix`. */
  prefix?: string
  /** Key template of the route's objects, as the sink's `keyTemplate`. */
  keyTemplate?: string | KeyTemplate
  /** IANA time zone of `keyTemplate`'s date parts. Default `UTC`. */
  timeZone?: string
  /** `true` or window options (no `manifests` per route): NDJSON batches. Default: one object per Run. */
  batched?: boolean | BatchOptions
}
