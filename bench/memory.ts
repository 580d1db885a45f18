import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { promisify } from 'node:util'

/**
 * Which process a memory run measures:
 * - `ours`: the batched pipeline, from the TypeScript sources under tsx;
 * - `dist`: the same, compiled by tsc (as `dist/` is), under plain node;
 * - `cli`: `bin/s3-sink.js` (dist/) reading the feed on stdin, uploading to a
 *   discarding S3 endpoint on 127.0.0.1;
 * - `naive`: the naive batcher (tsx);
 * - `per-run`: `createS3Sink()` one object per Run (compiled), `bytes` = objects.
 */
export type MemoryImpl = 'ours' | 'dist' | 'cli' | 'naive' | 'per-run'

/** One memory-child result. */
export interface MemoryResult {
  impl: MemoryImpl
  records: number
  bytes: number
  seconds: number
  /** `process.resourceUsage().maxRSS`, in bytes. */
  maxRssBytes: number
  /** VmHWM from /proc (Linux), the cross-check; `null` elsewhere. */
  hwmBytes: number | null
  /**
   * VmHWM read the moment the measured pipeline resolved, before the bench's
   * own end work (its checks, the result line, the sampler's file, exit): the
   * peak of the run itself. `null` where the bench cannot see that moment
   * (the CLI, a process of its own) or off Linux.
   */
  resolvedHwmBytes: number | null
  startRssBytes: number
  outBytes: number
  /** RSS over the run: [ms since start, bytes], every 100 ms. */
  samples: Array<[number, number]>
  /** `process.memoryUsage()` at the highest RSS sample. */
  atPeak: PeakBreakdown
}

/**
 * The peak the memory targets are judged by: VmHWM when the pipeline resolved
 * where the child could read it, else the whole process's `maxRSS`. Both are
 * printed (bench/report.ts); round 10 found 3 MB of a run's end that was the
 * bench's own (bench/RESULTS.md, helper "memend").
 *
 * @example
 * ```ts
 * runPeakBytes(result) / 1e6 // MB
 * ```
 */
export function runPeakBytes (result: MemoryResult): number {
  return result.resolvedHwmBytes ?? result.maxRssBytes
}

/** What the peak RSS was made of. */
export interface PeakBreakdown { rss: number, heapTotal: number, heapUsed: number, arrayBuffers: number }

interface Sampled { samples: Array<[number, number]>, atPeak: PeakBreakdown, maxRssBytes: number, hwmBytes: number | null }

const HERE = fileURLToPath(new URL('.', import.meta.url))
const ROOT = join(HERE, '..')
const BUILT = join(ROOT, '.tmp', 'bench-build', 'bench')

/**
 * Runs one memory child in a fresh process (peak RSS is per process) and
 * returns what it measured, or the error text if it failed (the naive
 * batcher is expected to fail on feeds past V8's string limit). `dist`,
 * `cli` and `per-run` need `npm run build` and `tsc -p tsconfig.bench.json`
 * first (bench/run.ts does both).
 *
 * On Linux, `ru_maxrss` survives execve(2), and a forked child starts with
 * its parent's resident pages counted: a child forked straight from this
 * (large) process would report at least our RSS as its peak. So the child
 * is started by a small `sh`, which forks it (the trailing `exit` stops sh
 * from exec'ing in place).
 *
 * @example
 * ```ts
 * const r = await measureMemory(2 * 1024 ** 3, 6, 'dist', { endpoint })
 * ```
 */
export async function measureMemory (bytes: number, level: number, impl: MemoryImpl, where: { endpoint?: string } = {}): Promise<MemoryResult | { error: string }> {
  const dir = await mkdtemp(join(tmpdir(), 'bench-rss-'))
  const samplesFile = join(dir, 'rss.json')
  const sampler = ['--import', join(BUILT, 'rss-sampler.js')]
  const node = JSON.stringify(process.execPath)
  let script: string
  if (impl === 'ours' || impl === 'naive') script = [node, '--import', 'tsx', ...sampler, JSON.stringify(join(HERE, 'memory-child.ts')), bytes, level, impl].join(' ')
  else if (impl === 'dist' || impl === 'per-run') script = [node, ...sampler, JSON.stringify(join(BUILT, 'memory-child.js')), bytes, level, impl].join(' ')
  else {
    // The CLI as users run it: its own flags, its own client, defaults everywhere but the level. The
    // sampler comes through NODE_OPTIONS, not node's arguments: the CLI restarts itself with its heap
    // flag only when node was started without flags of its own (lib/cli/young-generation.ts).
    const preload = JSON.stringify(`--import=${join(BUILT, 'rss-sampler.js')}`)
    const cli = [`NODE_OPTIONS=${preload}`, node, JSON.stringify(join(ROOT, 'bin', 's3-sink.js')), '--bucket', 'bench', '--endpoint', where.endpoint ?? '', '--force-path-style', '--gzip-level', level]
    script = `${node} ${JSON.stringify(join(BUILT, 'feed-child.js'))} ${bytes} | ${cli.join(' ')}`
  }
  try {
    const t0 = process.hrtime.bigint()
    const { stdout, stderr } = await promisify(execFile)('/bin/sh', ['-c', `${script}; exit $?`], {
      maxBuffer: 1024 * 1024,
      cwd: ROOT,
      env: {
        ...process.env,
        RSS_SAMPLES: samplesFile,
        AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: 'true',
        AWS_ACCESS_KEY_ID: 'DISCARD',
        AWS_SECRET_ACCESS_KEY: 'DISCARD',
        AWS_REGION: 'us-east-1'
      }
    })
    const seconds = Number(process.hrtime.bigint() - t0) / 1e9
    const sampled = JSON.parse(await readFile(samplesFile, 'utf8')) as Sampled
    if (impl === 'cli') return fromCliSummary(stderr, bytes, seconds, sampled)
    const last = stdout.trim().split('\n').at(-1) ?? ''
    return { ...JSON.parse(last) as MemoryResult, samples: sampled.samples, atPeak: sampled.atPeak }
  } catch (err) {
    const text = String((err as { stderr?: string }).stderr ?? err)
    const line = text.split('\n').find((l) => /Error|error/.test(l)) ?? text.split('\n')[0] ?? 'failed'
    return { error: line.trim().slice(0, 120) }
  } finally {
    await rm(dir, { recursive: true, force: true })
  }
}

/**
 * The CLI's summary line: `s3-sink: N records read, N delivered, [N acknowledged, ]N object(s), N bytes stored, S s`.
 * Only the counts are relied on, so a reworded note between them does not break the bench.
 */
function fromCliSummary (stderr: string, bytes: number, seconds: number, sampled: Sampled): MemoryResult {
  const m = /(\d+) records read, (\d+) delivered, (?:[^,\n]*, )?(\d+) objects?, (\d+) bytes/.exec(stderr)
  if (m === null) throw new Error(`no summary from the CLI: ${stderr.slice(0, 200)}`)
  if (m[1] !== m[2]) throw new Error(`the CLI delivered ${m[2]} of ${m[1]} records`)
  return {
    impl: 'cli',
    records: Number(m[2]),
    bytes,
    seconds,
    maxRssBytes: sampled.maxRssBytes,
    hwmBytes: sampled.hwmBytes,
    resolvedHwmBytes: null,
    startRssBytes: sampled.samples[0]?.[1] ?? NaN,
    outBytes: Number(m[4]),
    samples: sampled.samples,
    atPeak: sampled.atPeak
  }
}
