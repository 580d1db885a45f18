import { availableParallelism, loadavg } from 'node:os'

/** The most a hang guard is stretched: a spec that hangs is still reported, at most this many times later. */
const MOST = 10

/**
 * How many times longer than on a machine with a core to spare work takes
 * now: the 1-minute load average per core, at least 1 (a quiet machine, CI
 * running the suite alone), at most {@link MOST}. 1 where the platform has no
 * load average (Windows).
 *
 * A hang guard (mocha's timeout, the wait for child processes to start) bounds
 * no time the spec proves: it only stops a spec that would wait forever. Child
 * processes starting tsx and the AWS SDK need about 1.5 s of CPU each; on the
 * shared 2-core machine at load 10 - 15 a spec starting two or three of them
 * waited over 30 s for the CPU, and failed although nothing was wrong.
 */
export function loadFactor (): number {
  const [load = 0] = loadavg()
  return Math.min(MOST, Math.max(1, load / availableParallelism()))
}

/** `ms` of a hang guard, stretched by {@link loadFactor}. */
export function guardMs (ms: number): number {
  return Math.round(ms * loadFactor())
}
