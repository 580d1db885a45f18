import { expect } from 'chai'
import { Readable } from 'node:stream'
import { inspect } from 'node:util'
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

    it('passes the sources\' other options on, and the library\'s refusals name the flag', () => {
      const redis = parse(['--source', 'redis://h:1/s', '--group', 'g', '--start-id', '$', '--field', 'run', '--count', '50', '--block-ms', '200', '--reconnect-timeout-ms', '5000']).logSource
      expect(redis!.options).to.deep.equal({ startId: '$', field: 'run', count: 50, blockMs: 200, reconnectTimeoutMs: 5000 })
      const nats = parse(['--source', 'nats://h:1/S', '--durable', 'd', '--deliver-policy', 'new', '--pull-batch', '10', '--expires-ms', '2000', '--max-ack-pending', '500', '--connection-name', 'w1']).logSource
      expect(nats!.options).to.deep.equal({ deliverPolicy: 'new', batch: 10, expiresMs: 2000, maxAckPending: 500, name: 'w1', reconnectTimeoutMs: undefined })
      for (const [argv, option] of [
        [['--source', 'redis://h:1/s', '--group', 'g', '--count', '0'], '--count'],
        [['--source', 'redis://h:1/s', '--group', 'g', '--start-id', 'first'], '--start-id'],
        [['--source', 'nats://h:1/S', '--durable', 'd', '--pull-batch', '0'], '--pull-batch'],
        [['--source', 'nats://h:1/S', '--durable', 'd', '--expires-ms', '10'], '--expires-ms']
      ] as const) {
        expect(() => parse([...argv]), argv.join(' ')).to.throw(InvalidOptionError).with.property('option', option)
      }
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
        [['--source', 'redis://h:1/s', '--group', 'g', '--claim-idle-ms', 'soon'], '--claim-idle-ms'],
        [['--source', 'redis://h:1/s', '--group', 'g', '--pull-batch', '5'], '--pull-batch'],
        [['--source', 'nats://h:1/S', '--durable', 'd', '--start-id', '$'], '--start-id'],
        [['--source', 'nats://h:1/S', '--durable', 'd', '--deliver-policy', 'last'], '--deliver-policy'],
        [['--reconnect-timeout-ms', '5000'], '--reconnect-timeout-ms']
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

      it('--field reads the records from that field of the entries', async () => {
        const records = Array.from({ length: 20 }, (_, i) => run(i))
        await addRecords(redis.client, 'fielded', records, 'run')
        const res = await runUntil(['--source', `${redis.url}/fielded`, '--group', 'g', '--field', 'run', '--prefix', 'fielded/', ...s3Flags()],
          async () => (await s3.listKeys('logs', 'fielded/')).length > 0 && await pendingCount(redis.client, 'fielded', 'g') === 0)
        expect(res.code, res.stderr).to.equal(0)
        expect(await s3.readRecords('logs', 'fielded/')).to.have.deep.members(records)
      })

      it('--on-invalid skip: acknowledges an entry that is not a JSON object at once, counts it, delivers the rest', async () => {
        const records = Array.from({ length: 20 }, (_, i) => run(i))
        await addRecords(redis.client, 'skip', [...records.slice(0, 10), '{oops', '42', ...records.slice(10)])
        const res = await runUntil(['--source', `${redis.url}/skip`, '--group', 'g', '--prefix', 'skip/', '--on-invalid', 'skip', ...s3Flags()],
          async () => (await s3.listKeys('logs', 'skip/')).length > 0 && await pendingCount(redis.client, 'skip', 'g') === 0)
        expect(res.code, res.stderr).to.equal(0)
        expect(SUMMARY.exec(res.stderr)?.slice(1, 4)).to.deep.equal(['20', '20', '22'])
        expect(res.stderr).to.include(', 2 invalid lines skipped')
        expect(await s3.readRecords('logs', 'skip/')).to.have.deep.members(records)
      })

      it('--on-invalid dead-letter: stores it under dead-letter/ and acknowledges it only then', async () => {
        const records = Array.from({ length: 20 }, (_, i) => run(i))
        await addRecords(redis.client, 'dead', [...records.slice(0, 10), '{oops', ...records.slice(10)])
        const res = await runUntil(['--source', `${redis.url}/dead`, '--group', 'g', '--prefix', 'dead/', '--on-invalid', 'dead-letter', ...s3Flags()],
          async () => (await s3.listKeys('logs', 'dead/dead-letter/')).length > 0 && await pendingCount(redis.client, 'dead', 'g') === 0)
        expect(res.code, res.stderr).to.equal(0)
        // Delivered counts the dead letter too: it is a line of a stored object.
        expect(SUMMARY.exec(res.stderr)?.slice(1, 4)).to.deep.equal(['21', '21', '21'])
        expect(res.stderr).to.include(', 1 invalid line dead-lettered')
        const letters = await s3.readRecords('logs', 'dead/dead-letter/')
        expect(letters).to.have.length(1)
        // The entry's id, why it is not a record, and the payload's head.
        expect(JSON.stringify(letters[0])).to.match(/entry \d+-\d+ is not a record/).and.include('InvalidPayload(').and.include('{oops')
        const keys = await s3.listKeys('logs', 'dead/')
        const stored: unknown[] = []
        for (const key of keys.filter((k) => !k.startsWith('dead/dead-letter/'))) stored.push(...await s3.readRecords('logs', key))
        expect(stored).to.have.deep.members(records)
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

      for (const policy of ['skip', 'dead-letter'] as const) {
        it(`--on-invalid ${policy}: every message acknowledged, the invalid one ${policy === 'skip' ? 'at once' : 'once its dead letter is stored'}`, async () => {
          const stream = policy === 'skip' ? 'SKIP' : 'DEAD'
          await nats.createStream(stream)
          const records = Array.from({ length: 20 }, (_, i) => run(i))
          await nats.publish(stream, [...records.slice(0, 10), 'not json', ...records.slice(10)])
          const prefix = `nats-${stream.toLowerCase()}/`
          const settled = async (): Promise<boolean> => await nats.outstanding(stream, 'd').then((o) => o.pending === 0 && o.ackPending === 0, () => false) &&
            (await s3.listKeys('logs', prefix)).length >= (policy === 'skip' ? 1 : 2)
          const res = await runUntil(['--source', `${nats.url}/${stream}`, '--durable', 'd', '--prefix', prefix, '--on-invalid', policy, ...s3Flags()], settled)
          expect(res.code, res.stderr).to.equal(0)
          expect(SUMMARY.exec(res.stderr)?.slice(1, 4)).to.deep.equal(policy === 'skip' ? ['20', '20', '21'] : ['21', '21', '21'])
          expect(res.stderr).to.include(policy === 'skip' ? ', 1 invalid line skipped' : ', 1 invalid line dead-lettered')
          const letters = await s3.readRecords('logs', `${prefix}dead-letter/`)
          expect(letters).to.have.length(policy === 'skip' ? 0 : 1)
          expect(await nats.outstanding(stream, 'd')).to.include({ pending: 0, ackPending: 0 })
        })
      }
    })

    describe('a password in the --source URL', () => {
      const PASSWORD = 'r3dis-pa55word'
      let redis: LocalRedis
      before(async () => { redis = await startRedis(['--requirepass', PASSWORD]) })
      after(async () => { await redis.close() })

      it('never appears in an error, the progress or the summary', async () => {
        await addRecords(redis.client, 'auth', [run(1)])
        const wrong = await runUntil(['--source', `redis://:wrong-${PASSWORD}@127.0.0.1:${redis.port}/auth`, '--group', 'g', '--prefix', 'auth/', ...s3Flags()], async () => false)
        expect(wrong.code).to.equal(1)
        expect(wrong.stderr).to.match(/ERR_SOURCE_AUTH|ERR_SOURCE_CONNECTION/)
        expect(wrong.stderr).not.to.include(PASSWORD)
        let stderr = ''
        const stop = new AbortController()
        const running = runCli(['--source', `redis://:${PASSWORD}@127.0.0.1:${redis.port}/auth`, '--group', 'g', '--prefix', 'auth/', ...s3Flags()], {
          stdin: Readable.from([]), stdout: { write: () => true }, env: ENV, stop: stop.signal,
          // A terminal: the live progress line is drawn too.
          stderr: { write: (t: string) => { stderr += t }, isTTY: true }
        })
        while (await pendingCount(redis.client, 'auth', 'g').catch(() => 1) !== 0 || (await s3.listKeys('logs', 'auth/')).length === 0) {
          await new Promise((resolve) => setTimeout(resolve, 50))
        }
        stop.abort('SIGTERM')
        expect(await running, stderr).to.equal(0)
        expect(stderr).not.to.include(PASSWORD)
        const options = parseCliArgs(['--bucket', 'b', '--region', 'r', '--source', `redis://:${PASSWORD}@h:1/s`, '--group', 'g'], {})
        expect(inspect(options, { depth: Infinity, showHidden: true })).not.to.include(PASSWORD)
      })
    })
  })
})
