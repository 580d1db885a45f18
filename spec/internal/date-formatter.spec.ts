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

  it('sees a zone that starts daylight saving, or moves its clocks back for good, in a year next to this one', () => {
    // Morocco had no daylight saving from 1986 until June 2008.
    expect(zoneShifts('Africa/Casablanca', 2007)).to.equal(true)
    // Moscow stayed on +4 from 2011 and went back to +3 in October 2014: that hour came twice.
    expect(zoneShifts('Europe/Moscow', 2013)).to.equal(true)
    expect(zoneShifts('Europe/Moscow', 2020)).to.equal(false)
  })

  it('sees a zone that stopped daylight saving while its last change is near, not once it is past', () => {
    // Mexico's central zone went back to -6 for good on 30 October 2022.
    expect(zoneShifts('America/Mexico_City', 2023)).to.equal(true)
    expect(zoneShifts('America/Mexico_City', 2026)).to.equal(false)
  })

  it('sees a daylight saving period of weeks (Morocco goes to +0 for Ramadan only)', () => {
    expect(zoneShifts('Africa/Casablanca', 2026)).to.equal(true)
  })

  it('is false for a fixed-offset zone', () => {
    expect(zoneShifts('Etc/GMT-5', 2026)).to.equal(false)
    expect(zoneShifts('Etc/GMT+10', 2026)).to.equal(false)
    // Offset zones ('+05:30') are IANA-free; Intl takes them from Node 22 (V8's ES2024 support) on.
    let offsetZones = true
    try { new Intl.DateTimeFormat('en-US', { timeZone: '+05:30' }).format(0) } catch { offsetZones = false }
    if (offsetZones) expect(zoneShifts('+05:30', 2026)).to.equal(false)
  })
})
