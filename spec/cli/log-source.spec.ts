import { expect } from 'chai'
import { Readable } from 'node:stream'
import { parseCliArgs } from '../../lib/cli/args.js'
import { runCli } from '../../lib/cli/run.js'
import { InvalidOptionError } from '../../lib/errors.js'
import { startNats, type LocalNats } from '../helpers/nats-server.js'
import { addRecords, pendingCount, startRedis, type LocalRedis } from '../helpers/redis-server.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { run } from '../helpers/streams.js'

const ENV = { AWS_REGION: 'us-east-1', AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER' }

/** Runs the CLI in this process until `done()` holds, then stops it as SIGTERM would. */
async function runUntil (argv: string[], done: () => Promise<boolean>): Promise<{ code: number, stderr: string }> {
  let stderr = ''
  const stop = new AbortController()
  const running = runCli(argv, {
    stdin: Readable.from([]),
    stdout: { write: () => true },
    stderr: { write: (t: string) => { stderr += t }, isTTY: false },
    env: ENV,
    stop: stop.signal
  })
  let finished = false
  void running.finally(() => { finished = true })
  const until = Date.now() + 30_000
  while (!finished && !(await done()) && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50))
  stop.abort('SIGTERM')
  return { code: await running, stderr }
}

const SUMMARY = /s3-sink: (\d+) records read, (\d+) delivered, (\d+) acknowledged, (\d+) objects?/

describe('s3-sink --source', function () {
  this.timeout(60_000)

  describe('flags', () => {
    const parse = (argv: string[]): ReturnType<typeof parseCliArgs> => parseCliArgs(['--bucket', 'b', '--region', 'r', ...argv], {})
    it('reads the server and the stream from the URL, keeping the password out of the options', () => {
      const redis = parse(['--source', 'redis://:pw-123@10.0.0.5:6380/runs', '--group', 'g', '--claim-idle-ms', '90000']).logSource
      expect(redis).to.deep.include({ kind: 'redis', stream: 'runs', group: 'g', claimIdleMs: 90000 })
      expect(redis!.url()).to.equal('redis://:pw-123@10.0.0.5:6380')
      expect(JSON.stringify(redis)).not.to.include('pw-123')
      const nats = parse(['--source', 'nats://10.0.0.7:4222/RUNS', '--durable', 'd', '--ack-wait-ms', '60000']).logSource
      expect(nats).to.deep.include({ kind: 'nats', stream: 'RUNS', durable: 'd', ackWaitMs: 60000 })
    })

    it('refuses what cannot work, naming the flag and never the URL', () => {
      const bad: Array<[string[], string]> = [
        [['--source', 'redis://h:1/s'], '--group'],
        [['--source', 'nats://h:1/S'], '--durable'],
        [['--source', 'kafka://h:1/t', '--group', 'g'], '--source'],
        [['--source', 'redis://:secret@h:1', '--group', 'g'], '--source'],
        [['--source', 'redis://h:1/s', '--group', 'g', 'file.ndjson'], '--source'],
        [['--source', 'redis://h:1/s', '--group', 'g', '--durable', 'd'], '--durable'],
        [['--source', 'nats://h:1/S', '--durable', 'd', '--group', 'g'], '--group'],
        [['--group', 'g'], '--group'],
        [['--source', 'redis://h:1/s', '--group', 'g', '--claim-idle-ms', 'soon'], '--claim-idle-ms']
      ]
      for (const [argv, option] of bad) {
        expect(() => parse(argv), argv.join(' ')).to.throw(InvalidOptionError).that.satisfies((err: InvalidOptionError) => err.option === option && !err.message.includes('secret'))
      }
    })
  })

  describe('against real servers', () => {
    let s3: LocalS3
    before(async () => {
      s3 = await startS3rver()
      await s3.createBucket('logs')
    })
    after(async () => { await s3.close() })
    const s3Flags = (): string[] => ['--bucket', 'logs', '--endpoint', s3.endpoint, '--force-path-style', '--window-ms', '300']

    describe('redis', () => {
      let redis: LocalRedis
      before(async () => { redis = await startRedis() })
      after(async () => { await redis.close() })

      it('delivers the stream into S3 and acknowledges every entry once stored', async () => {
        const records = Array.from({ length: 300 }, (_, i) => run(i))
        await addRecords(redis.client, 'runs', records)
        const res = await runUntil(['--source', `${redis.url}/runs`, '--group', 'g', '--prefix', 'redis/', ...s3Flags()],
          async () => (await s3.listKeys('logs', 'redis/')).length > 0 && await pendingCount(redis.client, 'runs', 'g') === 0)
        expect(res.code, res.stderr).to.equal(0)
        expect(SUMMARY.exec(res.stderr)?.slice(1, 4)).to.deep.equal(['300', '300', '300'])
        const stored = await s3.readRecords('logs', 'redis/')
        expect(stored).to.have.deep.members(records)
        expect(await pendingCount(redis.client, 'runs', 'g')).to.equal(0)
      })

      it('fails with ERR_SOURCE_PAYLOAD on an entry that is not JSON, leaving it pending', async () => {
        await addRecords(redis.client, 'bad', ['{oops'])
        const res = await runUntil(['--source', `${redis.url}/bad`, '--group', 'g', '--prefix', 'bad/', ...s3Flags()], async () => false)
        expect(res.code).to.equal(1)
        expect(res.stderr).to.include('ERR_SOURCE_PAYLOAD')
        expect(await pendingCount(redis.client, 'bad', 'g')).to.equal(1)
      })
    })

    describe('nats', () => {
      let nats: LocalNats
      before(async () => {
        nats = await startNats()
        await nats.createStream('RUNS')
      })
      after(async () => { await nats.close() })

      it('delivers the stream into S3 and acknowledges every message once stored', async () => {
        const records = Array.from({ length: 300 }, (_, i) => run(i))
        await nats.publish('RUNS', records)
        const settled = async (): Promise<boolean> => await nats.outstanding('RUNS', 'd').then((o) => o.pending === 0 && o.ackPending === 0, () => false)
        const res = await runUntil(['--source', `${nats.url}/RUNS`, '--durable', 'd', '--prefix', 'nats/', ...s3Flags()], settled)
        expect(res.code, res.stderr).to.equal(0)
        expect(SUMMARY.exec(res.stderr)?.slice(1, 4)).to.deep.equal(['300', '300', '300'])
        expect(await s3.readRecords('logs', 'nats/')).to.have.deep.members(records)
      })
    })
  })
})
