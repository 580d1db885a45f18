import type { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { feedStream } from './feed.js'
import type { RunRecord } from './records.js'
import type { Work } from './measure.js'

type CreateS3Sink = (config: Record<string, unknown>) => Writable

// A variable specifier: the per-Run sink is optional for the benchmark, and
// its absence must show as "n/a", not break `npm run bench`.
const SPECIFIER = '../lib/sinks/create-s3-sink.js'

/**
 * The per-Run sink's factory, or `null` when lib/sinks/create-s3-sink.ts is
 * not there (or does not export `createS3Sink`).
 *
 * @example
 * ```ts
 * const create = await loadCreateS3Sink()
 * if (create === null) console.log('n/a (not available)')
 * ```
 */
export async function loadCreateS3Sink (): Promise<CreateS3Sink | null> {
  try {
    const mod = await import(SPECIFIER) as { createS3Sink?: unknown }
    return typeof mod.createS3Sink === 'function' ? mod.createS3Sink as CreateS3Sink : null
  } catch {
    return null
  }
}

/**
 * `count` Runs through `createS3Sink(config)`: one object per Run.
 *
 * @example
 * ```ts
 * await perRunSink(create, pool, 1000, { type: 's3', bucket: 'bench-runs', ...server.config, concurrency: 8 })
 * ```
 */
export async function perRunSink (create: CreateS3Sink, pool: readonly RunRecord[], count: number, config: Record<string, unknown>): Promise<Work> {
  const sink = create(config)
  let objects = 0
  let bytes = 0
  sink.on('object', (written: { bytes: number }) => {
    objects++
    bytes += written.bytes
  })
  await pipeline(feedStream(pool, count), sink)
  return { records: objects, bytes }
}
