import { readFileSync } from 'node:fs'
import { availableParallelism, cpus } from 'node:os'

/** Reads a text file, `undefined` when it is not there (or not readable). */
export type TextReader = (path: string) => string | undefined

/** Where {@link usableCores} looks; both injectable so that specs can fake a container. */
export interface UsableCoresSources {
  /** Reads /proc and /sys files. Default: `fs.readFileSync`, `undefined` on any error. */
  read?: TextReader
  /** The cores this process may be scheduled on. Default: `os.availableParallelism()`. */
  available?: number
}

const readText: TextReader = (path) => {
  try {
    return readFileSync(path, 'utf8')
  } catch {
    return undefined
  }
}

/** `path` and each of its parents up to `/`, deepest first. */
function withParents (path: string): string[] {
  const out: string[] = []
  let p = path.replace(/\/+$/, '')
  while (p !== '') {
    out.push(p)
    p = p.slice(0, p.lastIndexOf('/'))
  }
  out.push('')
  return out
}

/** cgroup v2 `cpu.max` ("max 100000" or "150000 100000"): CPUs, or `undefined` without a limit. */
function fromCpuMax (text: string | undefined): number | undefined {
  const [quota, period] = (text ?? '').trim().split(/\s+/)
  return limit(quota, period)
}

function limit (quota: string | undefined, period: string | undefined): number | undefined {
  const q = Number(quota)
  const p = Number(period)
  return Number.isFinite(q) && q > 0 && Number.isFinite(p) && p > 0 ? q / p : undefined
}

/**
 * The CPU bandwidth limit of this process's cgroup in CPUs (the smallest
 * along its path: a parent's limit binds its children), from cgroup v2's
 * `cpu.max` or cgroup v1's `cpu.cfs_quota_us` / `cpu.cfs_period_us`;
 * `undefined` when there is none. In a container without its own cgroup
 * namespace /proc/self/cgroup names the host's path, which is not mounted
 * inside: the mount's root is then read too.
 */
export function cgroupCpuLimit (read: TextReader = readText): number | undefined {
  const limits: number[] = []
  for (const line of (read('/proc/self/cgroup') ?? '').split('\n')) {
    // hierarchy-ID:controller-list:path; "0::path" is the cgroup v2 one.
    const m = /^(\d+):([^:]*):(.*)$/.exec(line)
    if (m === null) continue
    const [, id, controllers = '', path = ''] = m
    if (id === '0' && controllers === '') {
      for (const dir of withParents(path)) {
        const cpus = fromCpuMax(read(`/sys/fs/cgroup${dir}/cpu.max`))
        if (cpus !== undefined) limits.push(cpus)
      }
    } else if (controllers.split(',').includes('cpu')) {
      for (const mount of ['/sys/fs/cgroup/cpu,cpuacct', '/sys/fs/cgroup/cpu']) {
        for (const dir of withParents(path)) {
          const cpus = limit(read(`${mount}${dir}/cpu.cfs_quota_us`)?.trim(), read(`${mount}${dir}/cpu.cfs_period_us`)?.trim())
          if (cpus !== undefined) limits.push(cpus)
        }
      }
    }
  }
  return limits.length === 0 ? undefined : Math.min(...limits)
}

/**
 * The whole cores this process can keep busy: the cores it may run on
 * (`os.availableParallelism()`, which follows CPU affinity and cpusets)
 * bounded by its cgroup's CPU quota, which `availableParallelism()` does not
 * see (a container given 1 CPU on a 16-core host). A fractional quota counts
 * down (1.5 CPUs: 1 core): two busy threads on it would be throttled. At
 * least 1.
 *
 * @example
 * ```ts
 * const threads = usableCores() >= 2 ? 2 : 1
 * ```
 */
export function usableCores (sources: UsableCoresSources = {}): number {
  const available = sources.available ?? (typeof availableParallelism === 'function' ? availableParallelism() : cpus().length)
  const quota = cgroupCpuLimit(sources.read ?? readText)
  return Math.max(1, Math.min(available, quota === undefined ? available : Math.floor(quota)))
}
