import { expect } from 'chai'
import { EventTimeError, InvalidOptionError } from '../../lib/errors.js'
import { MAX_EVENT_TIME, Watermark, checkEventTime, timeField } from '../../lib/internal/event-time.js'

describe('internal/event-time', () => {
  it('Watermark: max seen minus lateness; a window ending at or below it is closed', () => {
    const w = new Watermark(60_000, 10_000)
    expect(w.value).to.equal(-Infinity)
    expect(w.isLate(0)).to.equal(false)
    expect(w.observe(125_000)).to.equal(true)
    expect(w.observe(100_000)).to.equal(false)
    expect(w.value).to.equal(115_000)
    expect(w.windowOf(125_000)).to.equal(120_000)
    expect(w.isLate(59_999)).to.equal(true) // window [0, 60000) ended before 115000
    expect(w.isLate(60_000)).to.equal(false) // window [60000, 120000) ends after 115000
  })

  it('checkEventTime accepts whole ms in range, floors fractions, refuses the rest with ERR_EVENT_TIME', () => {
    expect(checkEventTime(0, 0)).to.equal(0)
    expect(checkEventTime(1.9, 0)).to.equal(1)
    expect(checkEventTime(MAX_EVENT_TIME, 0)).to.equal(MAX_EVENT_TIME)
    for (const bad of [-1, MAX_EVENT_TIME + 1, NaN, Infinity, '2026-01-01', null, undefined]) {
      expect(() => checkEventTime(bad, 7)).to.throw(EventTimeError).with.property('index', 7)
    }
  })

  it('timeField reads epoch ms or an ISO-8601 string with a zone; anything else is NaN', () => {
    const t = timeField('meta.at', '--time-field')
    expect(t({ meta: { at: 1_700_000_000_000 } })).to.equal(1_700_000_000_000)
    expect(t({ meta: { at: '2026-11-25T14:03:07.250Z' } })).to.equal(Date.UTC(2026, 10, 25, 14, 3, 7, 250))
    expect(t({ meta: { at: '2026-11-25T15:03:07+01:00' } })).to.equal(Date.UTC(2026, 10, 25, 14, 3, 7))
    for (const record of [{}, { meta: { at: '2026-11-25' } }, { meta: { at: 'yesterday' } }, { meta: { at: true } }, null]) {
      expect(t(record)).to.be.NaN
    }
    for (const path of ['', 'a..b', '__proto__.x']) expect(() => timeField(path, '--time-field')).to.throw(InvalidOptionError).with.property('option', '--time-field')
  })
})
