import { expect } from 'chai'
import {
  abortIncompleteUploads, compress, createS3Destination, filterApis, gzip, keyRotate, keyTemplate, minuteWindow, s3Writable, serialize, InvalidOptionError
} from '../lib/index.js'

/** Calls a factory with one unknown option and returns what it threw (or rejected with: abortIncompleteUploads is async). */
async function thrown (build: () => unknown): Promise<InvalidOptionError> {
  try {
    await build()
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidOptionError)
    return err as InvalidOptionError
  }
  throw new Error('expected the factory to throw')
}

// Every public factory: an option it does not know fails at once, named, with
// the nearest known name when one is near and the known names otherwise.
const cases: Array<{ factory: string, build: (extra: Record<string, unknown>) => unknown, typo: string, meant: string | undefined }> = [
  { factory: 'minuteWindow', build: (o) => minuteWindow(o), typo: 'eventTime', meant: undefined },
  { factory: 'minuteWindow', build: (o) => minuteWindow(o), typo: 'windowMS', meant: 'windowMs' },
  { factory: 'serialize', build: (o) => serialize(o), typo: 'onInvald', meant: 'onInvalid' },
  { factory: 'compress', build: (o) => compress(o), typo: 'compresion', meant: 'compression' },
  { factory: 'gzip', build: (o) => gzip(o), typo: 'levl', meant: 'level' },
  { factory: 'keyRotate', build: (o) => keyRotate(o), typo: 'prefx', meant: 'prefix' },
  { factory: 'filterApis', build: (o) => filterApis(o), typo: 'apisToSent', meant: 'apisToSend' },
  { factory: 'filterApis', build: (o) => filterApis(o), typo: 'skipOnFailure', meant: 'skipOnFail' },
  { factory: 's3Writable', build: (o) => s3Writable({ bucket: 'b', ...o }), typo: 'partsize', meant: 'partSize' },
  { factory: 'createS3Destination', build: (o) => createS3Destination(o), typo: 'maxRecord', meant: 'maxRecords' },
  { factory: 'keyTemplate', build: (o) => keyTemplate('{id}', o), typo: 'timezone', meant: 'timeZone' },
  { factory: 'abortIncompleteUploads', build: (o) => abortIncompleteUploads({ bucket: 'b', olderThan: 1000, ...o }), typo: 'dryrun', meant: 'dryRun' }
]

describe('unknown options', () => {
  for (const { factory, build, typo, meant } of cases) {
    it(`${factory}({ ${typo} }) throws ERR_INVALID_OPTION naming it${meant === undefined ? ' and listing the known ones' : `, suggesting ${meant}`}`, async () => {
      const err = await thrown(() => build({ [typo]: 1 }))
      expect(err.code).to.equal('ERR_INVALID_OPTION')
      expect(err.option).to.equal(`options.${typo}`)
      if (meant === undefined) expect(err.message).to.match(/is not a known option \(known: \w+/)
      else expect(err.message).to.equal(`options.${typo} is not a known option; did you mean ${meant}?`)
    })
  }

  it('minuteWindow lists its options when nothing is near', async () => {
    expect((await thrown(() => minuteWindow({ eventTime: () => 0 } as never))).message).to.include('windowMs, maxBytes, maxRecords')
  })
})
