import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { abortIncompleteUploads } from '../../lib/admin/abort-incomplete-uploads.js'
import { doctor } from '../../lib/admin/doctor.js'
import { keyTemplate } from '../../lib/key-template.js'
import { createS3Destination } from '../../lib/sinks/create-s3-destination.js'
import { createS3Sink } from '../../lib/sinks/create-s3-sink.js'
import { s3Writable } from '../../lib/sinks/s3-writable.js'
import { keyRotate } from '../../lib/stages/key-rotate.js'
import { minuteWindow } from '../../lib/stages/minute-window.js'
import { cliRun } from '../helpers/cli-run.js'
import { manualClock } from '../helpers/manual-clock.js'
import { drainBatches, source } from '../helpers/streams.js'

const CONN = { region: 'us-east-1', accessKeyId: 'k', secretAccessKey: 's' }

const EMPTY = /empty folder|end with "\/"/

/** What `fn` throws or rejects with. */
async function caught (fn: () => unknown): Promise<Error> {
  try {
    await fn()
  } catch (err) {
    return err as Error
  }
  throw new Error('did not throw')
}

/** `fn` throws (or rejects with) ERR_INVALID_OPTION naming `option`, saying why. */
async function refused (fn: () => unknown, option: string): Promise<void> {
  const err = await caught(fn)
  expect(err, option).to.include({ code: 'ERR_INVALID_OPTION', option })
  expect(err.message).to.match(EMPTY)
}

/** createS3Sink reports its config's problems in one ERR_S3_SINK_CONFIG, each with its path. */
async function configRefused (fn: () => unknown, path: string): Promise<void> {
  const err = await caught(fn) as Error & { issues?: Array<{ path: string, message: string }> }
  expect(err, path).to.include({ code: 'ERR_S3_SINK_CONFIG' })
  expect(err.issues?.map((i) => i.path)).to.deep.equal([path])
  expect(err.issues?.[0]?.message).to.match(EMPTY)
}

// MinIO refuses a key with an empty segment (`a//b`) at the first upload
// (XMinioInvalidObjectName); on AWS it makes a folder named ''. Trailing
// slashes are only the prefix's separator, so they are normalised instead.
describe('key prefixes and keys with an empty segment ("a//b")', () => {
  for (const prefix of ['a//b', 'a//b/', 'runs///2026', 'a/b//c//']) {
    it(`are refused in every factory for prefix ${JSON.stringify(prefix)}, naming the option`, async () => {
      await refused(() => s3Writable({ bucket: 'b', ...CONN, prefix }), 'options.prefix')
      await refused(() => keyRotate({ prefix }), 'options.prefix')
      await configRefused(() => createS3Sink({ type: 's3', bucket: 'b', ...CONN, prefix }), 'prefix')
      await configRefused(() => createS3Sink({ type: 's3', bucket: 'b', ...CONN, routes: [{ name: 'r', prefix }] }), 'routes[0].prefix')
      await refused(() => createS3Destination({ bucket: 'b', ...CONN, prefix }), 'options.prefix')
      const destination = createS3Destination({ bucket: 'b', ...CONN })
      await refused(() => destination.send({ prefix, payload: 1 }), 'event.prefix')
      await destination.destroy()
      await refused(() => doctor({ bucket: 'b', ...CONN, prefix }), 'options.prefix')
      await refused(() => abortIncompleteUploads({ bucket: 'b', ...CONN, olderThan: 3_600_000, prefix }), 'options.prefix')
    })
  }

  it('are still normalised when they only end the prefix ("logs//" is "logs/")', async () => {
    const out = await drainBatches(source([{ i: 1 }]).pipe(minuteWindow({ clock: manualClock(0) })).pipe(keyRotate({ prefix: 'logs//' })))
    expect(out[0]!.batch.key).to.match(/^logs\/1970\//)
  })

  it('CLI: --prefix and a route\'s prefix= exit 2 naming the flag', async () => {
    for (const [argv, named] of [
      [['--prefix', 'a//b'], '--prefix'],
      [['--route', 'runs:prefix=a//b'], '--route runs:prefix']
    ] as const) {
      const res = await cliRun(['--out-dir', '/nonexistent-never-written', ...argv], '{"a":1}\n')
      expect(res.code, argv.join(' ')).to.equal(2)
      expect(res.stderr, argv.join(' ')).to.include(named).and.to.match(EMPTY)
    }
  })

  it('a key template whose fixed text makes one, or a key ending in "/", is refused; a key() returning one fails the stage', async () => {
    for (const t of ['{prefix}/{id}{ext}', 'runs//{id}', 'runs/{ext}/{id}', '{prefix}{id}{ext}/']) {
      await refused(() => keyTemplate(t), 'options.keyTemplate')
    }
    const err = await pipeline(source([{ i: 1 }]), minuteWindow({ clock: manualClock(0) }), keyRotate({ key: () => 'runs//x.gz' }), async function * (batches) {
      for await (const batch of batches) yield batch
    }).catch((e: unknown) => e)
    expect(err).to.include({ code: 'ERR_CALLBACK', option: 'options.key' })
    expect((err as Error).message).to.match(EMPTY)
  })
})
