import { startRedis, addRecords, type LocalRedis } from '../helpers/redis-server.js'
import { runKillTest, type KillTestLog } from '../helpers/kill-test.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'

/**
 * The scenario's flags, everything else the CLI's defaults: short windows
 * and batches so that 20k records make many objects in seconds, and a
 * claimIdleMs that takes the killed worker's entries over 2 s after it died
 * (the default, 5 minutes, would make the test last that long).
 */
const SCENARIO = ['--window-ms', '200', '--max-records', '500']

describe('kill test on a Redis stream: 3 CLI workers in one group, one SIGKILLed and replaced', function () {
  this.timeout(120_000)
  let s3: LocalS3
  let redis: LocalRedis
  before(async () => {
    [s3, redis] = await Promise.all([startS3rver(), startRedis()])
  })
  after(async () => { await Promise.all([s3.close(), redis.close()]) })

  it('stores every record, and twice only what the killed worker had stored and not acknowledged', async () => {
    const { client } = redis
    const log: KillTestLog = {
      async feed (records) { await addRecords(client, 'feed', records) },
      sourceArgs: (name) => ['--source', `${redis.url}/feed`, '--group', 'g', '--consumer', name, '--claim-idle-ms', '2000'],
      async settled () {
        const groups = await client.xinfo('GROUPS', 'feed') as unknown[][]
        const info = groups[0] ?? []
        const field = (name: string): number => Number(info[info.indexOf(name) + 1])
        return field('pending') === 0 && field('lag') === 0
      },
      async joined (worker) { return (await client.call('CLIENT', 'LIST') as string).includes(` name=${worker.name} `) },
      async unacknowledgedBy (victim) {
        const pending = await client.call('XPENDING', 'feed', 'g', '-', '+', 1_000_000, victim.name) as Array<[string]>
        const pipe = client.pipeline()
        for (const [id] of pending) pipe.xrange('feed', id, id)
        const ids = new Set<number>()
        for (const [, entries] of await pipe.exec() ?? []) {
          for (const [, fields] of entries as Array<[string, string[]]>) ids.add((JSON.parse(fields[1]!) as { id: number }).id)
        }
        return ids
      }
    }
    await runKillTest(s3, log, 20_000, SCENARIO)
  })
})
