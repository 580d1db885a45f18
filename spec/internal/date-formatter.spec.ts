import { expect } from 'chai'
import { zoneShifts } from '../../lib/internal/date-formatter.js'

describe('zoneShifts()', () => {
  it('is true for a zone with daylight saving, north or south', () => {
    expect(zoneShifts('Europe/Berlin', 2026)).to.equal(true)
    expect(zoneShifts('America/New_York', 2026)).to.equal(true)
    expect(zoneShifts('Australia/Sydney', 2026)).to.equal(true)
  })

  it('is false for UTC and for zones on one offset all year', () => {
    expect(zoneShifts('UTC', 2026)).to.equal(false)
    expect(zoneShifts('Asia/Tokyo', 2026)).to.equal(false)
    expect(zoneShifts('Asia/Kolkata', 2026)).to.equal(false)
    // Brazil gave daylight saving up in 2019.
    expect(zoneShifts('America/Sao_Paulo', 2026)).to.equal(false)
    expect(zoneShifts('America/Sao_Paulo', 2018)).to.equal(true)
  })
})
