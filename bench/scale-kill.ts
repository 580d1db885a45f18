// The long kill test (issue 9): the spec's scenario (spec/scale/kill-*.spec.ts)
// over 1M records, for `npm run bench -- --only scale-kill` and --full.
import { natsKillLog, redisKillLog } from '../spec/helpers/kill-logs.js'
import { runKillTest, type KillTestResult } from '../spec/helpers/kill-test.js'
import { startNats } from '../spec/helpers/nats-server.js'
import { startRedis } from '../spec/helpers/redis-server.js'
import { startS3rver } from '../spec/helpers/s3rver.js'
import { freePort } from '../spec/helpers/server-process.js'
import { fixed, int, markdownTable } from './table.js'

/** The kill test's outcome on each log. */
export interface KillBenchResult { redis: KillTestResult, nats: KillTestResult }

/**
 * The scenario's flags (the CLI's defaults otherwise): batches of at most
 * 10,000 records or 1 s, and the killed worker's records redelivered 5 s
 * after it died.
 */
const SCENARIO = ['--window-ms', '1000', '--max-records', '10000']
const REDELIVER_MS = 5000

/**
 * Runs the kill test on Redis, then on NATS, each with a fresh s3rver.
 *
 * @example
 * ```ts
 * console.log(renderKill(await benchKill(1_000_000, console.error)))
 * ```
 */
export async function benchKill (records: number, log: (text: string) => void): Promise<KillBenchResult> {
  const monitor = await freePort()
  const [redis, nats] = await Promise.all([startRedis(), startNats(['-m', String(monitor)])])
  try {
    await nats.createStream('FEED')
    const one = async (name: string, run: (s3: Awaited<ReturnType<typeof startS3rver>>) => Promise<KillTestResult>): Promise<KillTestResult> => {
      log(`scale-kill: ${name}, ${records} records`)
      const s3 = await startS3rver()
      try {
        const result = await run(s3)
        log(`scale-kill ${name}: ${result.duplicates} duplicates, bound ${result.bound}, ${result.missing.length} missing, ${result.unexplained.length} unexplained, ${result.seconds.toFixed(1)} s`)
        return result
      } finally {
        await s3.close()
      }
    }
    const settleMs = 1_200_000
    return {
      redis: await one('redis', async (s3) => await runKillTest(s3, redisKillLog(redis, REDELIVER_MS), records, SCENARIO, settleMs)),
      nats: await one('nats', async (s3) => await runKillTest(s3, natsKillLog(nats, monitor, REDELIVER_MS), records, SCENARIO, settleMs))
    }
  } finally {
    await Promise.all([redis.close(), nats.close()])
  }
}

/**
 * The kill test's table: records, copies against the bound, and whether the
 * run holds (every record stored, copies only of the bound, clean exits).
 *
 * @example
 * ```ts
 * process.stdout.write(renderKill(result))
 * ```
 */
export function renderKill (r: KillBenchResult): string {
  const row = (name: string, k: KillTestResult): string[] => {
    const ok = k.missing.length === 0 && k.unexplained.length === 0 && k.duplicates <= k.bound && k.exits.every((e) => e.code === 0)
    return [name, int(k.records), int(k.stored), int(k.victimStored), int(k.bound), int(k.duplicates), int(k.missing.length), fixed(k.seconds, 1), int(k.records / k.seconds), ok ? '✓' : '✗']
  }
  return markdownTable(
    ['Log', 'Records', 'Stored', 'Stored by the killed worker', 'Of those unacknowledged (bound)', 'Duplicates', 'Missing', 'Seconds to settle', 'records/s (3 workers)', 'Holds'],
    [row('Redis stream, consumer group', r.redis), row('JetStream, durable pull consumer', r.nats)],
    ['l', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'r', 'l']
  )
}
