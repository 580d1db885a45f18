// One variant of bench/per-run-cost.ts alone, for counting instructions under valgrind (the machine's load
// does not move an instruction count): `warm` objects, then `count` more.
//   valgrind --tool=cachegrind --cache-sim=no node --import tsx bench/per-run-instructions.ts VARIANT COUNT [WARM]
import './env.js'
import { setMaxListeners } from 'node:events'
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3'
import { nullClient, putLoopWith, type PutOne } from './baselines/put-object-loop.js'
import { putObjectLoop } from './baselines/put-object-loop.js'
import { streamLoop } from './baselines/stream-loop.js'
import { systemClock } from '../lib/clock.js'
import { PutJob, type PutJobSettings } from '../lib/internal/put-job.js'
import { createS3Sink } from '../lib/sinks/create-s3-sink.js'
import { discardClient } from './discard-client.js'
import { recordPool } from './feed.js'
import { perRunSink } from './per-run.js'

const [variant = 'sink', countArg = '1000', warmArg = '500'] = process.argv.slice(2)
const pool = recordPool(10_000)
let run = 0
const VARIANTS: Record<string, (n: number) => Promise<unknown>> = {
  'loop-buffer': async (n) => await putObjectLoop(pool, n, discardClient().client, 'bench', 8, 'buffer'),
  'loop-signal': async (n) => await loop(n, discardClient().client, async (client, Body, Key) => {
    await client.send(new PutObjectCommand({ Bucket: 'bench', Key, Body, ContentType: 'application/json' }), { abortSignal: new AbortController().signal })
  }),
  // One signal for every request, as the sink's.
  'loop-shared-signal': async (n) => {
    const cancel = new AbortController()
    setMaxListeners(0, cancel.signal)
    await loop(n, discardClient().client, async (client, Body, Key) => {
      await client.send(new PutObjectCommand({ Bucket: 'bench', Key, Body, ContentType: 'application/json' }), { abortSignal: cancel.signal })
    })
  },
  // The loop sending through the sink's PutJob (its shared signal, retries and bookkeeping): no stream, no pool.
  'loop-job': async (n) => {
    const { client } = discardClient()
    const cancel = new AbortController()
    setMaxListeners(0, cancel.signal)
    const settings: PutJobSettings = { client, params: { ContentType: 'application/json', Bucket: 'bench' }, cancel, abortTimeout: 1000, retry: { retryFor: 900_000, maxAttempts: Infinity, clock: systemClock, random: Math.random }, onRetry: () => {} }
    await loop(n, client, async (_client, body, Key) => {
      const job = new PutJob(settings, Key, body)
      await job.settled
      if (!job.ok) throw job.failure
    })
  },
  'loop-stream': async (n) => await streamLoop(pool, n, discardClient().client, `s${run++}`),
  sink: async (n) => await perRunSink(createS3Sink as never, pool, n, { type: 's3', bucket: 'bench', client: discardClient().client, prefix: `r${run++}` }),
  // The sink's own work without the SDK's (a client whose send() costs nothing): its own changes show above the spread.
  'sink-null': async (n) => await perRunSink(createS3Sink as never, pool, n, { type: 's3', bucket: 'bench', client: nullClient(), prefix: `r${run++}` })
}
async function loop (n: number, client: S3Client, put: PutOne): Promise<void> {
  await putLoopWith(pool, n, client, `v${run++}`, put)
}
/** The feed piped into a bare Writable that keeps 8 PutObjects in flight (no signal). */
const work = VARIANTS[variant]
if (work === undefined) throw new Error(`unknown variant ${variant}; one of ${Object.keys(VARIANTS).join(', ')}`)
await work(Number(warmArg))
if (Number(countArg) > 0) await work(Number(countArg))
