import { execFile } from 'node:child_process'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/** One memory-child result. */
export interface MemoryResult {
  impl: 'ours' | 'naive'
  records: number
  bytes: number
  seconds: number
  /** `process.resourceUsage().maxRSS`, in bytes. */
  maxRssBytes: number
  /** VmHWM from /proc (Linux), the cross-check; `null` elsewhere. */
  hwmBytes: number | null
  startRssBytes: number
  outBytes: number
}

const CHILD = fileURLToPath(new URL('./memory-child.ts', import.meta.url))

/**
 * Runs bench/memory-child.ts in a fresh process (peak RSS is per process)
 * and returns what it measured, or the error text if it failed (the naive
 * batcher is expected to fail on feeds past V8's string limit).
 *
 * On Linux, `ru_maxrss` survives execve(2), and a forked child starts with
 * its parent's resident pages counted: a child forked straight from this
 * (large) process would report at least our RSS as its peak. So the child
 * is started by a small `sh`, which forks it (the trailing `exit` stops sh
 * from exec'ing in place).
 *
 * @example
 * ```ts
 * const r = await measureMemory(2 * 1024 ** 3, 6, 'ours')
 * ```
 */
export async function measureMemory (bytes: number, level: number, impl: 'ours' | 'naive'): Promise<MemoryResult | { error: string }> {
  try {
    const args = [process.execPath, '--import', 'tsx', CHILD, String(bytes), String(level), impl]
    const { stdout } = await promisify(execFile)('/bin/sh', ['-c', '"$@"; exit $?', 'sh', ...args], {
      maxBuffer: 1024 * 1024,
      env: { ...process.env, AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true' }
    })
    const last = stdout.trim().split('\n').at(-1) ?? ''
    return JSON.parse(last) as MemoryResult
  } catch (err) {
    const text = String((err as { stderr?: string }).stderr ?? err)
    const line = text.split('\n').find((l) => /Error|error/.test(l)) ?? text.split('\n')[0] ?? 'failed'
    return { error: line.trim().slice(0, 120) }
  }
}
