/**
 * Whether `settled` (a promise that never rejects) settles within `ms`: an
 * abort waits this long for the requests it cancelled, then stops waiting
 * for one that ignores it. The timer goes either way.
 *
 * @example
 * ```ts
 * if (!await settledWithin(job.settled, abortTimeout)) job.failure ??= reason
 * ```
 */
export async function settledWithin (settled: Promise<void>, ms: number): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined
  const inTime = await Promise.race([
    settled.then(() => true),
    new Promise<boolean>((resolve) => { timer = setTimeout(resolve, ms, false) })
  ])
  clearTimeout(timer)
  return inTime
}
