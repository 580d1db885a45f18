import { hostname } from 'node:os'
import { jetstream } from '@nats-io/jetstream'
import { runKillTest, type KillTestLog } from '../helpers/kill-test.js'
import { startNats, type LocalNats } from '../helpers/nats-server.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { freePort } from '../helpers/server-process.js'

/**
 * The scenario's flags, everything else the CLI's defaults: short windows
 * and batches so that 20k records make many objects in seconds, and an
 * ackWait that redelivers the killed worker's messages 2 s after it died
 * (the default, 30 s, would make the test last that long).
 */
const SCENARIO = ['--window-ms', '200', '--max-records', '500']

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
    const js = jetstream(nats.nc)
    const recordOf = new Map<number, number>()
    // Every ack any worker sends, by stream sequence: the log keeps no record of who acknowledged what.
    const acked = new Set<number>()
    nats.nc.subscribe('$JS.ACK.FEED.d.>', {
      callback: (_err, msg) => {
        const payload = msg.string()
        if (payload !== '' && payload !== '+ACK') return // in-progress acks (+WPI)
        const tokens = msg.subject.split('.')
        acked.add(Number(tokens[tokens.length >= 12 ? 7 : 5]))
      }
    })
    const log: KillTestLog = {
      async feed (records) {
        for (let i = 0; i < records.length; i += 500) {
          await Promise.all(records.slice(i, i + 500).map(async (r) => { recordOf.set((await js.publish('FEED.records', JSON.stringify(r))).seq, r.id) }))
        }
      },
      sourceArgs: () => ['--source', `${nats.url}/FEED`, '--durable', 'd', '--ack-wait-ms', '2000'],
      async settled () { return await nats.outstanding('FEED', 'd').then((o) => o.pending === 0 && o.ackPending === 0, () => false) },
      async joined (worker) {
        const connz = await (await fetch(`http://127.0.0.1:${monitor}/connz`)).json() as { connections?: Array<{ name?: string }> }
        return (connz.connections ?? []).some((c) => c.name === `${hostname()}-${worker.child.pid}`)
      },
      async unacknowledgedBy () {
        // The acks the killed worker sent before it died reach this subscription after a round trip.
        await nats.nc.flush()
        await new Promise((resolve) => setTimeout(resolve, 200))
        return new Set([...recordOf].filter(([seq]) => !acked.has(seq)).map(([, id]) => id))
      }
    }
    await runKillTest(s3, log, 20_000, SCENARIO)
  })
})
