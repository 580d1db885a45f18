import { expect } from 'chai'
import { EventEmitter } from 'node:events'
import { shutdownSignals, signalExitCode, type SignalSource } from '../../lib/cli/shutdown-signals.js'

/** Stands in for `process`: emit('SIGTERM', 'SIGTERM') is what a delivered signal does. */
function fakeProcess (): EventEmitter & SignalSource {
  return new EventEmitter() as EventEmitter & SignalSource
}

describe('shutdownSignals()', () => {
  it('escalates: the first signal stops, the second aborts, the third exits with 128 + its number', () => {
    const source = fakeProcess()
    const exits: number[] = []
    const shutdown = shutdownSignals(source, { exit: (code) => exits.push(code) })
    expect([shutdown.stop.aborted, shutdown.abort.aborted]).to.deep.equal([false, false])
    source.emit('SIGTERM', 'SIGTERM')
    expect([shutdown.stop.aborted, shutdown.stop.reason, shutdown.abort.aborted]).to.deep.equal([true, 'SIGTERM', false])
    // Any mix of the two signals counts.
    source.emit('SIGINT', 'SIGINT')
    expect([shutdown.abort.aborted, shutdown.abort.reason, exits]).to.deep.equal([true, 'SIGINT', []])
    source.emit('SIGTERM', 'SIGTERM')
    expect(exits).to.deep.equal([143])
    shutdown.dispose()
    expect(source.listenerCount('SIGTERM') + source.listenerCount('SIGINT')).to.equal(0)
  })

  it('listens only to the signals asked for', () => {
    const source = fakeProcess()
    const shutdown = shutdownSignals(source, { signals: ['SIGHUP'] })
    source.emit('SIGTERM', 'SIGTERM')
    expect(shutdown.stop.aborted).to.equal(false)
    source.emit('SIGHUP', 'SIGHUP')
    expect(shutdown.stop.reason).to.equal('SIGHUP')
    shutdown.dispose()
  })

  it('validates its arguments', () => {
    const cases: Array<[unknown, unknown, string]> = [
      [{}, {}, 'source'], [fakeProcess(), 1, 'options'], [fakeProcess(), { signals: 'SIGTERM' }, 'options.signals'],
      [fakeProcess(), { signals: ['SIGNOPE'] }, 'options.signals[0]'], [fakeProcess(), { exit: 0 }, 'options.exit']
    ]
    for (const [source, options, option] of cases) {
      expect(() => shutdownSignals(source as never, options as never), option).to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option })
    }
  })
})

describe('signalExitCode()', () => {
  it('is 128 + the signal\'s number, and 130 for anything else', () => {
    expect([signalExitCode('SIGINT'), signalExitCode('SIGTERM'), signalExitCode('SIGHUP')]).to.deep.equal([130, 143, 129])
    expect([signalExitCode(undefined), signalExitCode(new Error('x')), signalExitCode('NOPE')]).to.deep.equal([130, 130, 130])
  })
})
