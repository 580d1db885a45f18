import { GCProfiler, getHeapStatistics } from 'node:v8'

/** What the JavaScript heap did while some work ran, in bytes. */
export interface HeapWork {
  /** Allocated: every collection's heap size before it, less what the previous one left, plus what is left at the end. */
  allocated: number
  /** Promoted to the old generation by young-generation collections: what outlived two of them. */
  promoted: number
}

/**
 * Bytes the JavaScript heap allocated and promoted while `work` ran. Unlike
 * CPU time, neither moves with the machine's load, so two variants of a
 * benchmark can be compared on a busy machine. (Buffers' bytes outside the
 * heap are not counted.)
 *
 * @example
 * ```ts
 * const { allocated, promoted } = await heapWork(async () => { await runSink() })
 * ```
 */
export async function heapWork (work: () => Promise<unknown>): Promise<HeapWork> {
  const profiler = new GCProfiler()
  const start = getHeapStatistics().used_heap_size
  profiler.start()
  await work()
  const end = getHeapStatistics().used_heap_size
  const stats = profiler.stop()?.statistics ?? []
  let left = start
  let allocated = 0
  let promoted = 0
  for (const gc of stats) {
    allocated += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - left)
    left = gc.afterGC.heapStatistics.usedHeapSize
    // Scavenges (young generation only): what the old space gained came from the young one.
    if (gc.gcType === 'Scavenge' || gc.gcType === 'MinorMarkSweep' || gc.gcType === 'MinorMarkCompact') promoted += Math.max(0, oldSpace(gc.afterGC) - oldSpace(gc.beforeGC))
  }
  return { allocated: allocated + Math.max(0, end - left), promoted }
}

function oldSpace (state: { heapSpaceStatistics: Array<{ spaceName: string, spaceUsedSize: number }> }): number {
  return state.heapSpaceStatistics.find((s) => s.spaceName === 'old_space')?.spaceUsedSize ?? 0
}
