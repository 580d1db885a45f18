import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { onDurable } from '../../lib/durable.js'
import { parseCliArgs } from '../../lib/cli/args.js'
import { buildDelivery } from '../../lib/cli/delivery.js'
import type { InputRecord } from '../../lib/cli/ndjson-lines.js'
import { createProgress } from '../../lib/cli/progress.js'
import { manualClock } from '../helpers/manual-clock.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { run, source } from '../helpers/streams.js'

const BUCKET = 'cli-durable'

/** Input records as a log source would hand them to the CLI's delivery: each with its acknowledgement. */
function inputs (n: number, acked: number[], failedEvery = 0): InputRecord[] {
  return Array.from({ length: n }, (_, i) => {
    const value = run(i, 'search', failedEvery > 0 && i % failedEvery === 0)
    return Object.assign({ value, text: JSON.stringify(value), file: 'log', line: i + 1 }, { [onDurable]: () => acked.push(i) })
  })
}

describe('CLI delivery: acknowledgements of records from a source (s3rver)', function () {
  this.timeout(30_000)
  let s3: LocalS3
  let dir: string
  const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' }
  const progress = (): ReturnType<typeof createProgress> => createProgress({ stream: { write: () => true }, live: false })

  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket(BUCKET)
    dir = await mkdtemp(join(tmpdir(), 'cli-durable-'))
  })
  after(async () => {
    await s3.close()
    await rm(dir, { recursive: true, force: true })
  })

  for (const mode of ['batched', 'per-record', 'batched --out-dir', 'per-record --out-dir']) {
    it(`${mode}: every record acknowledged once, after its object, filtered ones at once`, async () => {
      const out = mode.endsWith('--out-dir') ? ['--out-dir', join(dir, mode.replace(/\W+/g, '-'))] : ['--bucket', BUCKET, '--endpoint', s3.endpoint, '--force-path-style']
      const flags = [...out, '--prefix', `${mode.replace(/\W+/g, '-')}/`, '--skip-on-fail', ...(mode.startsWith('per-record') ? ['--per-record'] : ['--max-records', '4'])]
      const p = progress()
      const delivery = buildDelivery(parseCliArgs(flags, env), p, manualClock())
      const acked: number[] = []
      const objectsAtAck = new Map<number, number>()
      const records = inputs(10, acked, 5)
      for (const r of records) {
        const ack = (r as unknown as Record<symbol, () => void>)[onDurable]!
        Object.assign(r, { [onDurable]: () => { ack(); objectsAtAck.set(r.line - 1, p.objects) } })
      }
      try {
        await pipeline([source(records), ...delivery.streams])
      } finally {
        delivery.close()
      }
      expect([...acked].sort((a, b) => a - b)).to.deep.equal(Array.from({ length: 10 }, (_, i) => i))
      // Runs 0 and 5 failed and were filtered out (acknowledged at once); the others only once an object was stored.
      expect(objectsAtAck.get(0)).to.equal(0)
      for (const [i, objects] of objectsAtAck) if (i % 5 !== 0) expect(objects, `record ${i}`).to.be.greaterThan(0)
    })
  }
})
