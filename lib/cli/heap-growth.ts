/**
 * The V8 flag the command sets at start: after each full collection, the
 * next one comes once the old generation has grown by 20% (at least 8 MB,
 * plus the young generation's size), instead of by the factor V8 derives
 * from its collection speed, up to 4x. With the young generation held
 * small (young-generation.ts), records and chunks that live across two
 * scavenges reach the old generation, and only a full collection frees
 * them and the Buffers they hold: on Node 24 the command's old space then
 * reached 25 – 27 MB before its first full collection and the process
 * peaked at 136 – 140 MB on a 200 MiB feed, against 119 – 122 MB with this
 * flag (bench/RESULTS.md, round 7).
 */
export const HEAP_GROWING_FLAG = '--heap-growing-percent=20'

/** What {@link limitOldGenerationGrowth} reads of `process`. */
export interface FlaggedProcess {
  readonly execArgv: readonly string[]
  readonly env: NodeJS.ProcessEnv
}

/**
 * Sets {@link HEAP_GROWING_FLAG}, unless node was started with a heap
 * growing factor of its own (yours wins). V8 reads it each time it sets the
 * next full collection's limit, so setting it at run time works on every
 * Node, with or without the young-generation restart. A process-wide
 * setting: for the command, which owns its process, never for the library.
 *
 * @example
 * ```ts
 * limitOldGenerationGrowth(process, v8)
 * await import('./main.js')
 * ```
 */
export function limitOldGenerationGrowth (proc: FlaggedProcess, heap: { setFlagsFromString: (flags: string) => void }): void {
  const configured = [...proc.execArgv, proc.env.NODE_OPTIONS ?? ''].some((flag) => flag.includes('heap-growing'))
  if (!configured) heap.setFlagsFromString(HEAP_GROWING_FLAG)
}
