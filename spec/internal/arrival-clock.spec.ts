import assert from 'node:assert/strict'
import { systemClock, type Clock } from '../../lib/clock.js'
import { ArrivalClock } from '../../lib/internal/arrival-clock.js'

/** Spins until the system clock has moved on by `ms`. */
function busyWait (ms: number): void {
  const until = Date.now() + ms
  while (Date.now() < until) { /* spin */ }
}

describe('ArrivalClock', () => {
  it('reads the system clock once per synchronous run of records', async () => {
    const arrival = new ArrivalClock(systemClock)
    const first = arrival.now()
    busyWait(3)
    assert.equal(arrival.now(), first, 'same run: the time read at its start')
    await Promise.resolve()
    assert.ok(arrival.now() >= first + 3, 'the next run reads the clock again')
  })

  it('reads it again after 128 reads within one run', () => {
    const arrival = new ArrivalClock(systemClock)
    const first = arrival.now()
    busyWait(3)
    for (let i = 1; i < 128; i++) assert.equal(arrival.now(), first)
    assert.ok(arrival.now() >= first + 3)
  })

  it('reads an injected clock every time (tests move it between two synchronous writes)', () => {
    let t = 1000
    const clock: Clock = { now: () => t, setTimeout: () => undefined, clearTimeout: () => {} }
    const arrival = new ArrivalClock(clock)
    assert.equal(arrival.now(), 1000)
    t = 61_000
    assert.equal(arrival.now(), 61_000)
  })
})
