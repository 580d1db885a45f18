/** What one timed run of a row did. */
export interface Sample {
  /** Records (or objects, for per-Run rows) processed. */
  records: number
  /** Uncompressed NDJSON bytes those records make. */
  bytes: number
  /** Wall time in seconds. */
  seconds: number
  /** CPU seconds of the whole process (main thread and zlib's pool) during the run. */
  cpu: number
  /** Bytes produced (compressed), when the row reports it. */
  outBytes?: number
  /** Anything else worth printing (e.g. request counts). */
  note?: string
}

/** What a row's body reports back to {@link timed}. */
export interface Work {
  records: number
  bytes: number
  outBytes?: number
  note?: string
}

/**
 * Runs `fn` once and times it with wall and CPU clocks. A GC first, when
 * exposed, so garbage from the previous row is not billed to this one.
 *
 * @example
 * ```ts
 * const sample = await timed(async () => { await work(); return { records: n, bytes } })
 * ```
 */
export async function timed (fn: () => Promise<Work>): Promise<Sample> {
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc !== undefined) gc()
  const cpu0 = process.cpuUsage()
  const t0 = process.hrtime.bigint()
  const work = await fn()
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9
  const cpu = process.cpuUsage(cpu0)
  const sample: Sample = { records: work.records, bytes: work.bytes, seconds, cpu: (cpu.user + cpu.system) / 1e6 }
  if (work.outBytes !== undefined) sample.outBytes = work.outBytes
  if (work.note !== undefined) sample.note = work.note
  return sample
}

/**
 * The median of `values` (the mean of the middle two for an even count).
 *
 * @example
 * ```ts
 * median([3, 1, 2]) // 2
 * ```
 */
export function median (values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = sorted.length >> 1
  if (sorted.length === 0) return NaN
  return sorted.length % 2 === 1 ? sorted[mid] as number : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2
}

/**
 * Half the spread of `values` relative to their median, in percent: the
 * noise figure printed next to every repeated row.
 *
 * @example
 * ```ts
 * spreadPct([90, 100, 110]) // 10
 * ```
 */
export function spreadPct (values: readonly number[]): number {
  if (values.length < 2) return 0
  const m = median(values)
  return ((Math.max(...values) - Math.min(...values)) / 2 / m) * 100
}

/**
 * A distribution-free interval of at least 95% for the median of `values`: the k-th smallest and k-th largest, k the
 * largest with P(Binomial(n, ½) < k) ≤ 2.5% (the sign test's interval: no assumption about the rounds' spread).
 * `[-Infinity, Infinity]` when there are too few values for any.
 *
 * @example
 * ```ts
 * const [lo, hi] = medianInterval(pairedDeltas) // 0 outside [lo, hi]: the difference is real at 95%
 * ```
 */
export function medianInterval (values: readonly number[]): [number, number] {
  const s = [...values].sort((a, b) => a - b)
  const n = s.length
  let k = 0
  let cdf = 0
  let term = 0.5 ** n // P(Binomial(n, ½) = 0)
  while (k < n && cdf + term <= 0.025) { cdf += term; k++; term = term * (n - k + 1) / k }
  return k === 0 ? [-Infinity, Infinity] : [s[k - 1] as number, s[n - k] as number]
}
