import { PerformanceObserver } from 'node:perf_hooks'

/**
 * The V8 flag the command runs with: a 4 MB semi-space. The records, lines
 * and chunks of a feed die young, so the heap's live data stays near 15 MB;
 * V8 still grows the young generation to its default size (on Node 24 it is
 * sized by the machine's memory), and a 400 MiB feed then peaked at 266 MB
 * RSS instead of 171 MB with this flag (bench/RESULTS.md), at the same rate
 * within the noise.
 */
export const SEMI_SPACE_FLAG = '--max-semi-space-size=4'

/** The semi-space of {@link SEMI_SPACE_FLAG}, in bytes; V8's new space is two of them. */
const SEMI_SPACE_BYTES = 4 * 1024 * 1024

/** What {@link restartArgs} reads of `process`. */
export interface RestartableProcess {
  readonly execArgv: readonly string[]
  readonly argv: readonly string[]
  readonly execPath: string
  readonly env: NodeJS.ProcessEnv
  /** `process.execve` (Node >= 22.15 and 23.11, not on Windows): replaces the process, same PID, same open files. */
  readonly execve?: (file: string, args?: readonly string[], env?: NodeJS.ProcessEnv) => never
}

/**
 * The arguments to restart the command with {@link SEMI_SPACE_FLAG}, or
 * `null` to run as it is: where `process.execve` is missing (Node 20, older
 * 22, Windows), when node was started with flags of its own (a debugger, a
 * loader: left alone), and when `NODE_OPTIONS` already sets the semi-space.
 * A V8 heap flag only applies from the start of a process, and a shebang
 * cannot carry it everywhere (BusyBox's `env`, on Alpine, has no `-S`).
 *
 * @example
 * ```ts
 * restartArgs(process) // ['/usr/bin/node', '--max-semi-space-size=4', '/usr/bin/s3-sink', '--bucket', 'logs']
 * ```
 */
export function restartArgs (proc: RestartableProcess): string[] | null {
  if (typeof proc.execve !== 'function') return null
  if (proc.execArgv.length > 0) return null
  if ((proc.env.NODE_OPTIONS ?? '').includes('--max-semi-space-size')) return null
  return [proc.execPath, SEMI_SPACE_FLAG, ...proc.argv.slice(1)]
}

/**
 * Replaces the process with the same command under {@link SEMI_SPACE_FLAG}
 * when {@link restartArgs} says so; returns (and the command runs as it is)
 * otherwise, or if the restart fails. Call it before anything is read or
 * written: the new process starts from scratch with the same PID, standard
 * streams and environment.
 *
 * @example
 * ```ts
 * restartWithSmallYoungGeneration(process)
 * await import('./main.js')
 * ```
 */
export function restartWithSmallYoungGeneration (proc: RestartableProcess): void {
  const args = restartArgs(proc)
  if (args === null || proc.execve === undefined) return
  try {
    proc.execve(proc.execPath, args, proc.env)
  } catch {
    // An execve that fails (a missing binary after an upgrade, a seccomp policy) leaves the command running as it was started.
  }
}

/** What {@link capYoungGeneration} reads and sets of V8: `node:v8`'s functions. */
export interface HeapControls {
  getHeapSpaceStatistics: () => ReadonlyArray<{ readonly space_name: string, readonly space_size: number }>
  setFlagsFromString: (flags: string) => void
}

/** Calls `listener` after every garbage collection until the returned function is called. */
export type GcHook = (listener: () => void) => () => void

/**
 * After every collection, through a `gc` PerformanceObserver (notified
 * shortly after each collection, which is soon enough: V8 doubles new space
 * only once the bytes surviving scavenges add up to its size).
 *
 * @example
 * ```ts
 * const stop = afterEveryGc(() => { console.log('collected') })
 * stop()
 * ```
 */
export const afterEveryGc: GcHook = (listener) => {
  const observer = new PerformanceObserver(listener)
  observer.observe({ entryTypes: ['gc'] })
  return () => { observer.disconnect() }
}

/**
 * Holds V8's young generation at {@link SEMI_SPACE_FLAG}'s size from inside
 * the process, for where it cannot restart with the flag (Node 20). V8 reads
 * its size flags once at start (`--max-semi-space-size` set later changes
 * nothing), but it reads `--semi-space-growth-factor` each time it grows new
 * space: after every collection, the factor is 1 (no growth) once new space
 * has reached two 4 MiB semi-spaces, and V8's default 2 again if V8 shrank it
 * while the process was idle, so a busy feed gets its 4 MiB back. Checked on
 * Node 20, 22 and 24 (spec/cli/young-generation.spec.ts). A process-wide
 * setting: for the command, which owns its process, never for the library.
 *
 * @returns a function that stops watching (the factor stays as last set).
 * @example
 * ```ts
 * capYoungGeneration(v8, afterEveryGc)
 * ```
 */
export function capYoungGeneration (heap: HeapControls, onGc: GcHook): () => void {
  let holding = false
  const check = (): void => {
    const size = heap.getHeapSpaceStatistics().find((space) => space.space_name === 'new_space')?.space_size
    if (size === undefined) return
    const full = size >= 2 * SEMI_SPACE_BYTES
    if (full === holding) return
    heap.setFlagsFromString(`--semi-space-growth-factor=${full ? 1 : 2}`)
    holding = full
  }
  check()
  return onGc(check)
}

/**
 * The command's young generation kept small: restarted with
 * {@link SEMI_SPACE_FLAG} where {@link restartArgs} allows, otherwise held
 * there by {@link capYoungGeneration}, unless node's flags or `NODE_OPTIONS`
 * already set a semi-space (yours wins).
 *
 * @example
 * ```ts
 * keepYoungGenerationSmall(process, v8)
 * await import('./main.js')
 * ```
 */
export function keepYoungGenerationSmall (proc: RestartableProcess, heap: HeapControls, onGc: GcHook = afterEveryGc): void {
  restartWithSmallYoungGeneration(proc)
  const configured = [...proc.execArgv, proc.env.NODE_OPTIONS ?? ''].some((flag) => flag.includes('semi-space'))
  if (!configured) capYoungGeneration(heap, onGc)
}
