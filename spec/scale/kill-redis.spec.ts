import { expectKillTest } from '../helpers/kill-expect.js'
import { redisKillLog } from '../helpers/kill-logs.js'
import { runKillTest } from '../helpers/kill-test.js'
import { startRedis, type LocalRedis } from '../helpers/redis-server.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'

/**
 * The scenario's flags, everything else the CLI's defaults: short windows
 * and batches so that 20k records make many objects in seconds, and a
 * claimIdleMs that takes the killed worker's entries over 5 s after it died
 * (the default, 2 minutes, would make the test last that long;
 * spec/scale/default-redelivery.spec.ts covers the default). Not shorter:
 * the live workers renew their entries every claimIdleMs / 3, and on a loaded
 * 2-core machine a worker's timers ran over 1.3 s late, so that its peers
 * took over records it was still storing (2 s gave 77 copies outside the bound).
 */
const SCENARIO = ['--window-ms', '200', '--max-records', '500']
const CLAIM_IDLE_MS = 5000

describe('kill test on a Redis stream: 3 CLI workers in one group, one SIGKILLed and replaced', function () {
  this.timeout(120_000)
  let s3: LocalS3
  let redis: LocalRedis
  before(async () => {
    [s3, redis] = await Promise.all([startS3rver(), startRedis()])
  })
  after(async () => { await Promise.all([s3.close(), redis.close()]) })

  it('stores every record, and twice only what the killed worker had stored and not acknowledged', async () => {
    expectKillTest(await runKillTest(s3, redisKillLog(redis, CLAIM_IDLE_MS), 20_000, SCENARIO))
  })
})
