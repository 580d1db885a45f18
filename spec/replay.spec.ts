import { writeFile, mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { gzip, keyRotate, minuteWindow, s3Writable, serialize, sourcePosition } from '../lib/index.js'
import { runCli } from '../lib/cli/run.js'
import { manualClock } from './helpers/manual-clock.js'
import { startS3rver, type LocalS3 } from './helpers/s3rver.js'
import { run, source } from './helpers/streams.js'

const BUCKET = 'replay-bucket'

/** Records 0..n-1 at positions `log+0+i`. */
function feed (from: number, to: number): Array<Record<string | symbol, unknown>> {
  return Array.from({ length: to - from }, (_, k) => ({ ...run(from + k), [sourcePosition]: `log+0+${from + k}` }))
}

describe('stable keys: a replay rewrites the same keys (s3rver)', function () {
  this.timeout(30_000)
  let s3: LocalS3

  before(async () => {
    s3 = await startS3rver()
    await s3.createBucket(BUCKET)
  })
  after(async () => { await s3.close() })

  async function deliver (prefix: string, records: Array<Record<string | symbol, unknown>>, bytes = false): Promise<string[]> {
    const keys: string[] = []
    const sink = s3Writable({ ...s3.config, bucket: BUCKET })
    sink.on('object', ({ key }: { key: string }) => keys.push(key))
    // Another clock reading on every run, in the same window: arrival times differ, keys must not.
    const clock = manualClock(Date.UTC(2026, 10, 25, 14, 3, Math.floor(Math.random() * 50)))
    const window = minuteWindow({ clock, maxRecords: 10, closeOnTime: false })
    await pipeline([source(records), ...(bytes ? [serialize({ chunkSize: 700 })] : []), window, gzip(), keyRotate({ prefix, stableKeys: true }), sink])
    return keys.sort()
  }

  it('a replay from a checkpoint at a batch boundary writes the keys and bytes of the first run, and no new object', async () => {
    const first = await deliver('staged/', feed(0, 100))
    expect(first).to.have.length(10)
    const before = await Promise.all(first.map(async (key) => (await s3.getObject(BUCKET, key)).body))
    // The process died after positions 0..39 were committed: the replay starts at 40.
    const replay = await deliver('staged/', feed(40, 100))
    expect(replay).to.have.length(6)
    expect(first).to.include.members(replay)
    expect(await s3.listKeys(BUCKET, 'staged/')).to.deep.equal(first)
    const after = await Promise.all(first.map(async (key) => (await s3.getObject(BUCKET, key)).body))
    expect(after.map((b) => b.toString('hex'))).to.deep.equal(before.map((b) => b.toString('hex')))
  })

  it('byte input from serialize() gets the same keys as record input', async () => {
    const records = await deliver('records/', feed(0, 55))
    const bytes = await deliver('bytes/', feed(0, 55), true)
    expect(bytes.map((k) => k.slice('bytes/'.length))).to.deep.equal(records.map((k) => k.slice('records/'.length)))
  })

  it('s3-sink --stable-keys: running the same file again rewrites the same keys', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'replay-'))
    try {
      const file = join(dir, 'runs.ndjson')
      await writeFile(file, Array.from({ length: 25 }, (_, i) => JSON.stringify(run(i))).join('\n') + '\n')
      const env = { AWS_ACCESS_KEY_ID: 'S3RVER', AWS_SECRET_ACCESS_KEY: 'S3RVER', AWS_REGION: 'us-east-1' }
      const argv = ['--bucket', BUCKET, '--endpoint', s3.endpoint, '--force-path-style', '--prefix', 'cli/', '--max-records', '10', '--stable-keys', file]
      const io = (): Parameters<typeof runCli>[1] => ({
        stdin: Readable.from([]), stdout: { write: () => true }, stderr: { write: () => true, isTTY: false }, env, clock: manualClock()
      })
      expect(await runCli(argv, io())).to.equal(0)
      const keys = await s3.listKeys(BUCKET, 'cli/')
      expect(keys).to.have.length(3)
      expect(await runCli(argv, io())).to.equal(0)
      expect(await s3.listKeys(BUCKET, 'cli/')).to.deep.equal(keys)
    } finally {
      await rm(dir, { recursive: true, force: true })
    }
  })
})
