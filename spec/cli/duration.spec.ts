import { expect } from 'chai'
import { Readable } from 'node:stream'
import { parseCliArgs } from '../../lib/cli/args.js'
import { parseDuration } from '../../lib/cli/duration.js'
import { runCli } from '../../lib/cli/run.js'

const S3 = ['--bucket', 'b', '--region', 'us-east-1']

describe('parseDuration() and --window', () => {
  it('reads a number with a unit, or plain milliseconds', () => {
    const cases: Array<[string, number]> = [['500ms', 500], ['90s', 90_000], ['5m', 300_000], ['1h', 3_600_000], ['1.5h', 5_400_000], ['1d', 86_400_000],
      ['250', 250], ['2M', 120_000], [' 10s ', 10_000], ['0.5s', 500]]
    for (const [text, ms] of cases) expect(parseDuration(text, '--window'), text).to.equal(ms)
  })

  it('refuses anything else with ERR_INVALID_OPTION naming the flag, never the value', () => {
    for (const text of ['', 'soon', '5 minutes', '-5s', '1h30m', '5w', 's', '1e3', '0', '0ms', '0.5ms', '25d', '0x10']) {
      let err: unknown
      try { parseDuration(text, '--window') } catch (e) { err = e }
      expect(err, text).to.include({ code: 'ERR_INVALID_OPTION', option: '--window' })
      if (text.length > 1) expect((err as Error).message, text).not.to.include(text)
    }
  })

  it('--window sets the window length; --window-ms stays as it was; not both', () => {
    expect(parseCliArgs([...S3, '--window', '5m'], {}).windowMs).to.equal(300_000)
    expect(parseCliArgs([...S3, '--window=90s'], {}).windowMs).to.equal(90_000)
    expect(parseCliArgs([...S3, '--window-ms', '1500'], {}).windowMs).to.equal(1500)
    expect(parseCliArgs(S3, {}).windowMs).to.equal(undefined)
    expect(() => parseCliArgs([...S3, '--window', '5m', '--window-ms', '1000'], {})).to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option: '--window' })
    expect(() => parseCliArgs([...S3, '--per-record', '--window', '5m'], {})).to.throw().that.includes({ option: '--window' })
    expect(() => parseCliArgs([...S3, '--window', 'forever'], {})).to.throw().that.includes({ option: '--window' })
  })

  it('the CLI answers a bad --window with exit 2 naming the flag', async () => {
    let stderr = ''
    const code = await runCli([...S3, '--window', '30x'], {
      stdin: Readable.from([]), stdout: { write: () => {} }, stderr: { write: (t: string) => { stderr += t } }, env: {}
    })
    expect(code).to.equal(2)
    expect(stderr).to.equal("s3-sink: --window must be a duration such as 500ms, 90s, 5m, 1h or 1d (a plain number is milliseconds)\nTry 's3-sink --help'.\n")
  })
})
