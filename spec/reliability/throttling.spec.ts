import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { createS3Sink } from '../../lib/sinks/create-s3-sink.js'
import { fastClock } from '../helpers/fast-clock.js'
import { run, source } from '../helpers/streams.js'

/**
 * Objects in flight, per-Run sink, concurrency 8: when `throttle(i)` says
 * so, Run i's first PutObject answers 503 SlowDown. Returns the most objects
 * in flight at once while Runs `from` to `to` start.
 */
async function mostInFlight (throttle: (i: number) => boolean, from: number, to: number): Promise<number> {
  const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } })
  const mock = mockClient(client)
  const inFlight = new Set<string>()
  const tried = new Set<string>()
  let most = 0
  mock.on(PutObjectCommand).callsFake(async (input: { Key: string }) => {
    const i = Number(/run-(\d+)/.exec(input.Key)?.[1])
    const first = !tried.has(input.Key)
    tried.add(input.Key)
    inFlight.add(input.Key)
    if (i >= from && i < to) most = Math.max(most, inFlight.size)
    if (first && throttle(i)) throw Object.assign(new Error('Please reduce your request rate.'), { name: 'SlowDown', $metadata: { httpStatusCode: 503 } })
    await new Promise((resolve) => setTimeout(resolve, 3))
    inFlight.delete(input.Key)
    return { ETag: '"e"' }
  })
  await pipeline(source(Array.from({ length: 60 }, (_, i) => run(i, 'api'))), createS3Sink({ type: 's3', bucket: 'b', client, clock: fastClock() }))
  return most
}

describe('reliability: throttling lowers the uploads in flight (AIMD, aws-sdk-client-mock)', function () {
  this.timeout(20_000)

  it('without throttling, concurrency (8) objects are in flight', async () => {
    expect(await mostInFlight(() => false, 10, 30)).to.equal(8)
  })

  it('after a burst of SlowDown, fewer objects are in flight, then the bound climbs back', async () => {
    // Runs 8 to 15 are throttled once each: one burst, so one cut (8 → 4), then +1 per `limit` stored.
    const during = await mostInFlight((i) => i >= 8 && i < 16, 16, 24)
    expect(during).to.be.lessThan(8)
    expect(await mostInFlight((i) => i >= 8 && i < 16, 50, 60)).to.be.greaterThan(during)
  })
})
