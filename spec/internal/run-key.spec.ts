import { expect } from 'chai'
import { runKey } from '../../lib/internal/run-key.js'

const NOW = Date.UTC(2026, 10, 25, 14, 3, 7)
const key = (name: unknown, runId: unknown): string => runKey('p/', { apiInfo: { name, runId } }, NOW)
const TIMESTAMPED = /^p\/search\/2026\/11\/25\/14\/2026-11-25-14-03-07-[0-9a-f]{64}\.json$/

describe('runKey()', () => {
  it('keys a string runId as is', () => {
    expect(key('search', 'r-1')).to.equal('p/search/r-1.json')
  })

  it('keys a numeric or other non-string runId by its string form: the same key every time', () => {
    expect(key('search', 42)).to.equal('p/search/42.json')
    expect(key('search', 42)).to.equal(key('search', 42))
    expect(key('search', 1.5)).to.equal('p/search/1.5.json')
    expect(key('search', 12345678901234567890n)).to.equal('p/search/12345678901234567890.json')
    expect(key('search', true)).to.equal('p/search/true.json')
    expect(key('search', { shard: 3, n: 7 })).to.equal('p/search/{"shard":3,"n":7}.json')
    expect(key('search', ['a/b', 1])).to.equal('p/search/["a%2Fb",1].json')
  })

  it('falls back to a timestamped key only when there is no runId to key by', () => {
    for (const runId of [undefined, null, '']) expect(key('search', runId)).to.match(TIMESTAMPED)
    expect(key('search', undefined)).not.to.equal(key('search', undefined))
  })

  it('keeps an API named "_unknown" apart from Runs with a missing or empty name', () => {
    expect(key(undefined, 'r')).to.equal('p/_unknown/r.json')
    expect(key('', 'r')).to.equal('p/_unknown/r.json')
    expect(key(7, 'r')).to.equal('p/_unknown/r.json')
    expect(key('_unknown', 'r')).to.equal('p/%5Funknown/r.json')
    expect(key('_unknown2', 'r')).to.equal('p/_unknown2/r.json')
  })
})
