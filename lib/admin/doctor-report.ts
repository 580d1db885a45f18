import type { StoreName } from '../store-profiles.js'

/**
 * One check: `ok`; `ignored` (accepted but not enforced, e.g. a conditional write that overwrote); `failed`; `skipped`.
 *
 * @example
 * ```ts
 * const report = await doctor({ bucket: 'logs', region: 'us-west-2' })
 * report.probes.forEach(({ name, status, detail }: DoctorProbe) => console.log(name, status, detail))
 * ```
 */
export interface DoctorProbe {
  name: string
  status: 'ok' | 'ignored' | 'failed' | 'skipped'
  detail: string
}

/**
 * What {@link doctor} found.
 *
 * @example
 * ```ts
 * const { store, fits, problems }: DoctorReport = await doctor({ bucket: 'logs', region: 'us-west-2' })
 * if (problems.length > 0) console.error(`${store}: ${problems.join('; ')} (fits: ${fits.join(', ')})`)
 * ```
 */
export interface DoctorReport {
  /** The profile whose settings were judged (`aws` when none was given). */
  store: StoreName
  probes: DoctorProbe[]
  /** Profiles whose settings would work against this store. */
  fits: StoreName[]
  /** What would fail with the chosen settings; empty when they work. */
  problems: string[]
  /** What works but limits the sink (no abort, no listing). */
  warnings: string[]
}
