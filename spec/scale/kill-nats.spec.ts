import { expectKillTest } from '../helpers/kill-expect.js'
import { natsKillLog } from '../helpers/kill-logs.js'
import { runKillTest } from '../helpers/kill-test.js'
import { startNats, type LocalNats } from '../helpers/nats-server.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { freePort } from '../helpers/server-process.js'

/**
 * The scenario's flags, everything else the CLI's defaults: short windows
 * and batches so that 20k records make many objects in seconds, and an
 * ackWait that redelivers the killed worker's messages 5 s after it died
 * (the default, 30 s, would make the test last that long;
 * spec/scale/default-redelivery.spec.ts covers the default). Not shorter:
 * the live workers' in-progress acks go every ackWait / 3, and on a loaded
 * 2-core machine a worker's timers can run over a second late.
 */
const SCENARIO = ['--window-ms', '200', '--max-records', '500']
const ACK_WAIT_MS = 5000

describe('kill test on a JetStream stream: 3 CLI workers on one durable consumer, one SIGKILLed and replaced', function () {
  this.timeout(120_000)
  let s3: LocalS3
  let nats: LocalNats
  let monitor: number
  before(async () => {
    monitor = await freePort()
    ;[s3, nats] = await Promise.all([startS3rver(), startNats(['-m', String(monitor)])])
    await nats.createStream('FEED')
  })
  after(async () => { await Promise.all([s3.close(), nats.close()]) })

  it('stores every record, and twice only what the killed worker had stored and not acknowledged', async () => {
    expectKillTest(await runKillTest(s3, natsKillLog(nats, monitor, ACK_WAIT_MS), 20_000, SCENARIO))
  })
})
