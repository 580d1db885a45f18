// `npx tsx bench/retry-budget.ts`: what the AWS SDK's standard retry strategy
// does under faults, against the sink's own retry loop. Thousands of small
// PutObjects through the fault proxy into s3rver, 8 in flight:
//   - 10% faults (503 SlowDown, 500, reset), drawn per attempt;
//   - a brownout: 50% faults.
// For each: requests that failed for good, and how many of those failed on
// their first attempt because the client's retry budget refused a retry.
import './env.js'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { retrying } from '../lib/internal/retry-loop.js'
import { startFaultProxy } from '../spec/helpers/fault-proxy.js'
import { fastClock } from '../spec/helpers/fast-clock.js'
import { startBenchS3rver } from './s3rver.js'

const server = await startBenchS3rver()
await server.createBucket('bench-budget')

interface Outcome { requests: number, failed: number, refusedByBudget: number, attempts: number, seconds: number }

async function run (rate: number, requests: number, mode: 'sdk' | 'ours', seed: number): Promise<Outcome> {
  const each = rate / 3
  const proxy = await startFaultProxy({ target: server.endpoint, seed, rates: { slowDown: each, internalError: each, reset: each } })
  const client = new S3Client({
    endpoint: proxy.endpoint, region: 'us-east-1', forcePathStyle: true,
    credentials: { accessKeyId: server.accessKeyId, secretAccessKey: server.secretAccessKey },
    ...(mode === 'ours' ? { maxAttempts: 1 } : {})
  })
  const clock = fastClock()
  const policy = { retryFor: 15 * 60_000, maxAttempts: Infinity, clock, random: Math.random }
  const signal = new AbortController().signal
  let next = 0
  let failed = 0
  let refused = 0
  const started = process.hrtime.bigint()
  const worker = async (): Promise<void> => {
    while (next < requests) {
      const i = next++
      const send = async (): Promise<unknown> => await client.send(new PutObjectCommand({ Bucket: 'bench-budget', Key: `k${i % 500}`, Body: Buffer.from(`record ${i}`) }))
      try {
        if (mode === 'sdk') await send()
        else await retrying(send, { policy, signal, onRetry: () => {} }, { attempts: 0, ambiguous: false })
      } catch (err) {
        failed++
        if ((err as { $metadata?: { attempts?: number } }).$metadata?.attempts === 1 && mode === 'sdk') refused++
      }
    }
  }
  await Promise.all(Array.from({ length: 8 }, worker))
  const seconds = Number(process.hrtime.bigint() - started) / 1e9
  const outcome = { requests, failed, refusedByBudget: refused, attempts: proxy.events.length, seconds }
  client.destroy()
  await proxy.close()
  return outcome
}

const rows: string[] = [
  '| Faults per attempt | Retries by | Requests | Attempts sent | Failed for good | of which refused by the retry budget (1 attempt) | Wall s |',
  '|---|---|---:|---:|---:|---:|---:|'
]
try {
  for (const [rate, requests] of [[0.1, 3000], [0.5, 1000]] as const) {
    for (const mode of ['sdk', 'ours'] as const) {
      const o = await run(rate, requests, mode, 3)
      const by = mode === 'sdk' ? 'SDK standard (3 attempts, 500-token budget)' : 'sink loop, SDK at 1 attempt (waits skipped)'
      rows.push(`| ${rate * 100}% | ${by} | ${o.requests} | ${o.attempts} | ${o.failed} | ${mode === 'sdk' ? o.refusedByBudget : 'n/a'} | ${o.seconds.toFixed(1)} |`)
      process.stderr.write(`${rows.at(-1)}\n`)
    }
  }
} finally {
  await server.close()
}
process.stdout.write(rows.join('\n') + '\n')
