import { expect } from 'chai'
import { createProgress, formatBytes } from '../../lib/cli/progress.js'
import { manualClock } from '../helpers/manual-clock.js'

function terminal (isTTY: boolean): { write: (text: string) => void, isTTY: boolean, text: string[] } {
  const text: string[] = []
  return { write: (t: string) => { text.push(t) }, isTTY, text }
}

describe('createProgress()', () => {
  it('redraws a live line on a terminal every interval: records/s, objects, bytes', () => {
    const clock = manualClock()
    const stream = terminal(true)
    const progress = createProgress({ stream, clock })
    progress.start()
    progress.recordsRead = 5000
    clock.advance(1000)
    progress.recordsRead = 6000
    progress.objects = 2
    progress.bytes = 3 * 1024 * 1024
    clock.advance(500)
    expect(stream.text).to.have.length(1)
    clock.advance(500)
    expect(stream.text).to.deep.equal([
      '\r\u001b[Ks3-sink: 5000 records (5000/s), 0 objects, 0 B stored',
      '\r\u001b[Ks3-sink: 6000 records (1000/s), 2 objects, 3.0 MiB stored'
    ])
    progress.stop()
    expect(stream.text.at(-1)).to.equal('\r\u001b[K')
    expect(clock.pending).to.equal(0)
    progress.stop()
    expect(stream.text).to.have.length(3)
  })

  it('draws nothing live when the stream is not a terminal, but always has a summary', () => {
    const clock = manualClock()
    const stream = terminal(false)
    const progress = createProgress({ stream, clock })
    progress.start()
    clock.advance(5000)
    expect(stream.text).to.deep.equal([])
    expect(clock.pending).to.equal(0)
    Object.assign(progress, { recordsRead: 10, recordsDelivered: 8, objects: 1, bytes: 321 })
    clock.advance(250)
    expect(progress.summary()).to.equal('s3-sink: 10 records read, 8 delivered, 1 object, 321 bytes stored, 5.3 s')
  })

  it('shows retries on the live line and in the summary once there are any', () => {
    const clock = manualClock()
    const stream = terminal(true)
    const progress = createProgress({ stream, clock })
    progress.start()
    progress.retries = 1
    clock.advance(1000)
    progress.retries = 12
    clock.advance(1000)
    expect(stream.text).to.deep.equal([
      '\r\u001b[Ks3-sink: 0 records (0/s), 0 objects, 0 B stored, 1 retry',
      '\r\u001b[Ks3-sink: 0 records (0/s), 0 objects, 0 B stored, 12 retries'
    ])
    progress.stop()
    expect(progress.summary()).to.equal('s3-sink: 0 records read, 0 delivered, 0 objects, 0 bytes stored, 2.0 s, 12 retries')
  })

  it('ends the summary with a stop: its cause and the first line not read', () => {
    const progress = createProgress({ stream: terminal(false), clock: manualClock() })
    const summary = (stopped: typeof progress.stopped): string => Object.assign(progress, { stopped }).summary().replace(/^.*, 0\.0 s/, '')
    expect(summary({ by: 'SIGTERM', at: { file: '<stdin>', line: 301 } })).to.equal(', stopped by SIGTERM at <stdin>:301')
    expect(summary({ by: 'SIGINT', at: null })).to.equal(', stopped by SIGINT after the end of the input')
    expect(summary({ by: 'SIGINT' })).to.equal(', stopped by SIGINT')
    expect(summary(undefined)).to.equal('')
  })

  it('counts what the filter and --unmatched drop left out, each once there is one', () => {
    const progress = createProgress({ stream: terminal(false), clock: manualClock() })
    const tail = (): string => progress.summary().replace(/^.*, 0\.0 s/, '')
    expect(tail()).to.equal('')
    progress.filtered.api = 3
    expect(tail()).to.equal(', 3 records filtered out by --apis-to-send')
    progress.filtered.failed = 1
    progress.unmatched = 2
    expect(tail()).to.equal(', 3 records filtered out by --apis-to-send, 1 failed Run filtered out by --skip-on-fail, 2 unmatched records dropped (--unmatched drop)')
    progress.filtered.api = 0
    progress.unmatched = 1
    expect(tail()).to.equal(', 1 failed Run filtered out by --skip-on-fail, 1 unmatched record dropped (--unmatched drop)')
  })

  it('with routes, lists the objects of each route on a line of its own, before the objects in flight', () => {
    const progress = createProgress({ stream: terminal(false), clock: manualClock() })
    Object.assign(progress, { objects: 3, objectsByRoute: new Map([['errors', 2], ['runs', 1], ['late', 0]]) })
    progress.inFlight.add({ records: 1, outcome: 'not-stored' })
    expect(progress.summary().split('\n')).to.deep.equal([
      's3-sink: 0 records read, 0 delivered, 3 objects, 0 bytes stored, 0.0 s',
      's3-sink: objects by route: errors 2, runs 1, late 0',
      's3-sink: 1 object in flight at the end: 1 not stored'
    ])
  })

  it('can be forced live or quiet, and validates its options', () => {
    const clock = manualClock()
    const stream = terminal(false)
    createProgress({ stream, clock, live: true, intervalMs: 10 }).start()
    clock.advance(10)
    expect(stream.text).to.have.length(1)
    const cases: Array<[unknown, string]> = [[{ stream: {} }, 'options.stream'], [{ stream, live: 'yes' }, 'options.live'],
      [{ stream, intervalMs: 0 }, 'options.intervalMs'], [{ stream, clock: 5 }, 'options.clock']]
    for (const [options, option] of cases) {
      expect(() => createProgress(options as never)).to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option })
    }
  })
})

describe('formatBytes()', () => {
  it('uses binary units', () => {
    expect([0, 1023, 1024, 1536 * 1024, 5 * 1024 ** 3].map(formatBytes)).to.deep.equal(['0 B', '1023 B', '1.0 KiB', '1.5 MiB', '5.0 GiB'])
  })
})
