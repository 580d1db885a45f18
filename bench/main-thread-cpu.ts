import { readFileSync } from 'node:fs'

const threadCpuUsage = (process as { threadCpuUsage?: () => NodeJS.CpuUsage }).threadCpuUsage
const hasSchedstat = ((): boolean => { try { readFileSync('/proc/thread-self/schedstat'); return true } catch { return false } })()

/** Where {@link mainCpu} reads from on this Node and OS, for a bench's header line. */
export const cpuSource = threadCpuUsage !== undefined ? 'process.threadCpuUsage()' : hasSchedstat ? '/proc/thread-self/schedstat (ns)' : '/proc ticks (10 ms)'

/**
 * Main-thread CPU so far, µs: exact where Node has threadCpuUsage (>= 23.9), else the scheduler's run time in ns
 * (Linux), else 100 Hz ticks (one tick over 150,000 records is 0.067 µs/record, the size of the effects the A/B
 * benches measure). Shared by bench/main-thread-ab.ts and bench/unsigned-ab.ts.
 *
 * @example
 * ```ts
 * const m0 = mainCpu(); await run(); const usPerRecord = (mainCpu() - m0) / count
 * ```
 */
export function mainCpu (): number {
  if (threadCpuUsage !== undefined) {
    const u = threadCpuUsage.call(process)
    return u.user + u.system
  }
  if (hasSchedstat) return Number(readFileSync('/proc/thread-self/schedstat', 'utf8').split(' ')[0]) / 1000
  const stat = readFileSync('/proc/thread-self/stat', 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  return (Number(fields[11]) + Number(fields[12])) * 10_000
}
