import { GCProfiler, getHeapStatistics } from 'node:v8'

/**
 * Bytes the JavaScript heap allocated while `work` ran: every collection's
 * heap size before it, less the size the previous one left, plus what is
 * left at the end. Unlike CPU time, it does not move with the machine's
 * load, so two variants of a benchmark can be compared on a busy machine.
 * (Buffers' bytes outside the heap are not counted.)
 *
 * @example
 * ```ts
 * const bytes = await heapAllocated(async () => { await runSink() })
 * ```
 */
export async function heapAllocated (work: () => Promise<unknown>): Promise<number> {
  const profiler = new GCProfiler()
  const start = getHeapStatistics().used_heap_size
  profiler.start()
  await work()
  const end = getHeapStatistics().used_heap_size
  const stats = profiler.stop()?.statistics ?? []
  let left = start
  let bytes = 0
  for (const gc of stats) {
    bytes += Math.max(0, gc.beforeGC.heapStatistics.usedHeapSize - left)
    left = gc.afterGC.heapStatistics.usedHeapSize
  }
  return bytes + Math.max(0, end - left)
}
