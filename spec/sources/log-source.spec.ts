import { once } from 'node:events'
import { expect } from 'chai'
import { S3SinkError, SourceAuthError } from '../../lib/errors.js'
import type { LogDriver } from '../../lib/sources/log-source.js'
import { LogSourceStream } from '../../lib/sources/log-source-stream.js'
import { logSourceSettings } from '../../lib/sources/source-options.js'

/** A source whose set-up fails with `failure`; `permanent` sorts it as a driver does. */
class FailingStart extends LogSourceStream {
  shutdowns = 0
  constructor (failure: unknown, permanent: (err: unknown) => Error | null = () => null) {
    super(10)
    const driver: LogDriver = {
      start: async () => { throw failure },
      pull: async () => true,
      permanent,
      shutdown: async () => { this.shutdowns++ },
      settled: () => true
    }
    this.drive(driver, logSourceSettings({}))
  }
}

async function failureOf (source: FailingStart): Promise<Error & { code?: string }> {
  source.resume()
  const [err] = await once(source, 'error') as [Error & { code?: string }]
  await source.close()
  expect(source.shutdowns).to.equal(1)
  return err
}

describe('log sources: a set-up that fails', () => {
  it('in a way the driver does not call a refusal: fails coded ERR_SOURCE_CONNECTION, the error as cause', async () => {
    const cause = new Error('Connection is closed.')
    const err = await failureOf(new FailingStart(cause))
    expect(err).to.include({ code: 'ERR_SOURCE_CONNECTION', cause })
    expect(err.message).to.include('Connection is closed.')
  })

  it('with a value that is not an Error: coded too', async () => {
    const err = await failureOf(new FailingStart('down'))
    expect(err).to.include({ code: 'ERR_SOURCE_CONNECTION', cause: 'down' })
  })

  it('with a coded error (the drivers\' own ERR_SOURCE_CONNECTION, a missing client package): kept as it is', async () => {
    const missing = new S3SinkError('redisStreamSource needs the ioredis package: npm install ioredis')
    expect(await failureOf(new FailingStart(missing))).to.equal(missing)
  })

  it('with a refusal: the driver\'s coded error', async () => {
    const refused = new SourceAuthError('refused')
    expect(await failureOf(new FailingStart(new Error('WRONGPASS'), () => refused))).to.equal(refused)
  })
})
