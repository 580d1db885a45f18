import { expect } from 'chai'
import { InvalidOptionError } from '../../lib/errors.js'

/**
 * The option checks both log sources share: `make` refuses each bad option
 * (those every source takes, then the source's own `bad` ones) with an
 * `InvalidOptionError` naming it, and never changes a frozen options object.
 * `base` is a valid set of options that opens nothing (the connection is
 * made on the first read).
 */
export function expectLogSourceOptionChecks<O extends object> (make: (options: O) => { destroy: () => unknown }, base: O, bad: Array<[unknown, string]>): void {
  const shared: Array<[unknown, string]> = [
    [undefined, 'options'],
    [{ ...base, onInvalid: 'drop' }, 'options.onInvalid'],
    [{ ...base, decode: 'json' }, 'options.decode'],
    [{ ...base, signal: {} }, 'options.signal'],
    [{ ...base, reconnectTimeoutMs: 0 }, 'options.reconnectTimeoutMs'],
    [{ ...base, clock: 5 }, 'options.clock']
  ]
  for (const [options, option] of [...shared, ...bad]) {
    expect(() => make(options as O), option).to.throw(InvalidOptionError).with.property('option', option)
  }
  const options = Object.freeze({ ...base })
  make(options).destroy()
  expect(options).to.deep.equal(base)
}
