import { expect } from 'chai'
import { InvalidOptionError } from '../../lib/errors.js'
import { defaultKey, normalizePrefix } from '../../lib/internal/object-key.js'

const T0 = Date.UTC(2026, 10, 25, 14, 3, 7, 250)
const ID = /^[0-9a-f]{64}$/

/** `[prefix]YYYY/MM/DD/HH/YYYY-MM-DD-HH-MM-SS-<id><ext>`, split into its parts. */
const KEY = /^(.*?)(\d{4})\/(\d{2})\/(\d{2})\/(\d{2})\/(\d{4})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-(\d{2})-([0-9a-f]{64})(\.gz|\.ndjson)$/

function parts (key: string): { prefix: string, dir: string, stamp: string, id: string, ext: string } {
  const m = KEY.exec(key)
  expect(m, `key ${key} does not match the format`).not.to.equal(null)
  const [, prefix, Y, M, D, h, Y2, M2, D2, h2, mi, s, id, ext] = m as unknown as string[]
  // The folder and the file name repeat the same date and hour.
  expect([Y2, M2, D2, h2]).to.deep.equal([Y, M, D, h])
  return { prefix: prefix!, dir: `${Y}/${M}/${D}/${h}/`, stamp: `${Y}-${M}-${D}-${h}-${mi}-${s}`, id: id!, ext: ext! }
}

function rejects (fn: () => unknown, option: string): void {
  expect(fn).to.throw(InvalidOptionError).that.satisfies((err: InvalidOptionError) =>
    err.code === 'ERR_INVALID_OPTION' && err.option === option)
}

describe('internal/object-key', () => {
  describe('normalizePrefix()', () => {
    it('gives "" for no prefix, so keys start at YYYY', () => {
      expect(normalizePrefix(undefined, 'options.prefix')).to.equal('')
      expect(normalizePrefix('', 'options.prefix')).to.equal('')
    })

    it('gives "logs/" for "logs", "logs/" and "logs//"', () => {
      for (const p of ['logs', 'logs/', 'logs//']) expect(normalizePrefix(p, 'options.prefix')).to.equal('logs/')
    })

    it('keeps nested prefixes', () => {
      expect(normalizePrefix('a/b', 'options.prefix')).to.equal('a/b/')
      expect(normalizePrefix('a/b/', 'options.prefix')).to.equal('a/b/')
    })

    for (const bad of ['/', '//', '/abs', '/abs/', 'a/../b', 'a/./b', '..', '.', '../', 'a\u0000b', 'logs\n', 'a\tb/']) {
      it(`rejects ${JSON.stringify(bad)}, naming the option`, () => {
        rejects(() => normalizePrefix(bad, 'config.prefix'), 'config.prefix')
      })
    }

    it('rejects a non-string', () => {
      rejects(() => normalizePrefix(5, 'options.prefix'), 'options.prefix')
      rejects(() => normalizePrefix(null, 'options.prefix'), 'options.prefix')
      rejects(() => normalizePrefix(['logs'], 'options.prefix'), 'options.prefix')
    })

    it('rejects a prefix above 1024 bytes', () => {
      rejects(() => normalizePrefix('p'.repeat(1025), 'options.prefix'), 'options.prefix')
    })
  })

  describe('defaultKey()', () => {
    it('is YYYY/MM/DD/HH/YYYY-MM-DD-HH-MM-SS-<64 hex>.gz for gzip batches, from openedAt', () => {
      const key = defaultKey('', { openedAt: T0, contentEncoding: 'gzip' })
      expect(key.startsWith('2026/11/25/14/2026-11-25-14-03-07-')).to.equal(true)
      const p = parts(key)
      expect(p).to.include({ prefix: '', dir: '2026/11/25/14/', stamp: '2026-11-25-14-03-07', ext: '.gz' })
      expect(p.id).to.match(ID)
      expect(key).to.have.length('2026/11/25/14/2026-11-25-14-03-07-'.length + 64 + 3)
    })

    it('ends in .ndjson when the batch is not gzipped', () => {
      expect(parts(defaultKey('', { openedAt: T0 })).ext).to.equal('.ndjson')
      expect(parts(defaultKey('', { openedAt: T0, contentEncoding: undefined })).ext).to.equal('.ndjson')
    })

    it('zero-pads every field', () => {
      const p = parts(defaultKey('', { openedAt: Date.UTC(2027, 0, 2, 3, 4, 5, 999), contentEncoding: 'gzip' }))
      expect(p.dir).to.equal('2027/01/02/03/')
      expect(p.stamp).to.equal('2027-01-02-03-04-05')
    })

    it('puts the prefix first, as given (normalized by the caller)', () => {
      const key = defaultKey('runs/2026/', { openedAt: T0, contentEncoding: 'gzip' })
      expect(key.startsWith('runs/2026/2026/11/25/14/2026-11-25-14-03-07-')).to.equal(true)
      expect(parts(key).prefix).to.equal('runs/2026/')
    })

    it('gives the same keys, identifier aside, for "logs" and "logs/"', () => {
      const a = defaultKey(normalizePrefix('logs', 'p'), { openedAt: T0, contentEncoding: 'gzip' })
      const b = defaultKey(normalizePrefix('logs/', 'p'), { openedAt: T0, contentEncoding: 'gzip' })
      expect(a.slice(0, -67)).to.equal('logs/2026/11/25/14/2026-11-25-14-03-07-')
      expect(b.slice(0, -67)).to.equal(a.slice(0, -67))
    })

    it('uses UTC whatever the local time zone', () => {
      const saved = process.env.TZ
      try {
        process.env.TZ = 'Asia/Kathmandu' // UTC+05:45: both the hour and the minute differ
        expect(new Date(T0).getHours()).not.to.equal(new Date(T0).getUTCHours())
        expect(parts(defaultKey('', { openedAt: T0, contentEncoding: 'gzip' })).stamp).to.equal('2026-11-25-14-03-07')
        // 23:59 UTC on Dec 31 is already the next year in Kathmandu.
        const p = parts(defaultKey('', { openedAt: Date.UTC(2026, 11, 31, 23, 59, 59), contentEncoding: 'gzip' }))
        expect(p.dir).to.equal('2026/12/31/23/')
      } finally {
        if (saved === undefined) delete process.env.TZ
        else process.env.TZ = saved
      }
    })

    it('gives a fresh identifier every time, even for the same batch time', () => {
      const ids = new Set<string>()
      for (let i = 0; i < 500; i++) ids.add(parts(defaultKey('', { openedAt: T0, contentEncoding: 'gzip' })).id)
      expect(ids.size).to.equal(500)
    })

    it('makes keys that pass its own prefix checks (no dot segments, no control characters)', () => {
      const key = defaultKey(normalizePrefix('a/b', 'p'), { openedAt: T0, contentEncoding: 'gzip' })
      expect(normalizePrefix(key, 'p')).to.equal(`${key}/`)
    })
  })

  it('puts a partitioned batch under [prefix][partition]/', () => {
    const key = defaultKey('runs/', { openedAt: Date.UTC(2026, 10, 25, 14, 3, 7), contentEncoding: 'gzip', partition: 'dead-letter' })
    expect(key).to.match(/^runs\/dead-letter\/2026\/11\/25\/14\/2026-11-25-14-03-07-[0-9a-f]{64}\.gz$/)
  })
})
