/**
 * The V8 flag the command runs with: a 4 MB semi-space. The records, lines
 * and chunks of a feed die young, so the heap's live data stays near 15 MB;
 * V8 still grows the young generation to its default size (on Node 24 it is
 * sized by the machine's memory), and a 400 MiB feed then peaked at 266 MB
 * RSS instead of 171 MB with this flag (bench/RESULTS.md), at the same rate
 * within the noise.
 */
export const SEMI_SPACE_FLAG = '--max-semi-space-size=4'

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
