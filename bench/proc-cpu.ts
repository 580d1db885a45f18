import { readFileSync } from 'node:fs'

/**
 * CPU time (user + system, ms) of a process, or of one of its threads, from
 * /proc (Linux; 10 ms ticks). `NaN` where /proc is not there. The main
 * thread of this process is `procCpuMs(process.pid, process.pid)`: V8's
 * helper threads (concurrent marking, parallel scavenges) left out.
 *
 * @example
 * ```ts
 * const before = procCpuMs(server.pid)
 * ```
 */
export function procCpuMs (pid: number | undefined, tid?: number): number {
  if (pid === undefined) return NaN
  try {
    const path = tid === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${tid}/stat`
    // Fields after the command name (which may hold spaces): utime and stime are the 12th and 13th.
    const fields = readFileSync(path, 'utf8').replace(/^.*\) /, '').split(' ')
    return (Number(fields[11]) + Number(fields[12])) * 10
  } catch {
    return NaN
  }
}
