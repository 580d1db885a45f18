import { expect } from 'chai'
import fc from 'fast-check'
import { InvalidOptionError, KeyTemplateError } from '../lib/errors.js'
import { keyTemplate, type KeyTemplateValues } from '../lib/key-template.js'
import { validateKeyText } from '../lib/internal/validate.js'

const T0 = Date.UTC(2026, 10, 25, 14, 3, 7, 250)
const ID = 'a'.repeat(64)
const base: KeyTemplateValues = { time: T0, id: ID, seq: 3, ext: '.gz', prefix: 'runs/' }

function rejects (fn: () => unknown, option: string, text: RegExp): void {
  expect(fn).to.throw(InvalidOptionError).that.satisfies((err: InvalidOptionError) =>
    err.code === 'ERR_INVALID_OPTION' && err.option === option && text.test(err.message))
}

describe('keyTemplate()', () => {
  it('renders date parts in UTC, the unique part, seq, ext and prefix', () => {
    const t = keyTemplate('{prefix}{YYYY}/{MM}/{DD}/{HH}/{YYYY}-{MM}-{DD}-{HH}-{mm}-{ss}-{seq}-{id}{ext}')
    expect(t.render(base)).to.equal(`runs/2026/11/25/14/2026-11-25-14-03-07-3-${ID}.gz`)
    expect(t.fields).to.deep.equal([])
    expect(t.timeZone).to.equal('UTC')
  })

  it('renders date parts in an IANA time zone, across a date line', () => {
    const t = keyTemplate('dt={YYYY}-{MM}-{DD}/hour={HH}/{id}', { timeZone: 'Asia/Tokyo' })
    // 14:03 UTC is 23:03 in Tokyo (UTC+9, no DST)
    expect(t.render(base)).to.equal(`dt=2026-11-25/hour=23/${ID}`)
    const late = keyTemplate('{YYYY}{MM}{DD}{HH}{mm}/{id}', { timeZone: 'Asia/Kolkata' })
    expect(late.render({ ...base, time: Date.UTC(2026, 11, 31, 20, 0) })).to.equal(`202701010130/${ID}`)
  })

  it('pads years below 1000 and an empty ext gives no extension', () => {
    const t = keyTemplate('{YYYY}/{id}{ext}')
    expect(t.render({ ...base, time: Date.UTC(999, 0, 1), ext: '' })).to.equal(`0999/${ID}`)
  })

  it('reads record fields by dotted path and renders Hive-style folders', () => {
    const t = keyTemplate('runs/api={apiInfo.name}/job={projectJob.id}/dt={YYYY}-{MM}-{DD}/{id}{ext}')
    expect(t.fields).to.deep.equal(['apiInfo.name', 'projectJob.id'])
    const fields = t.partitionOf({ apiInfo: { name: 'search' }, projectJob: { id: 42 } })
    expect(fields).to.deep.equal({ 'apiInfo.name': 'search', 'projectJob.id': '42' })
    expect(t.render({ ...base, fields })).to.equal(`runs/api=search/job=42/dt=2026-11-25/${ID}.gz`)
  })

  it('sanitizes field values: no "/" injection, no "..", no control characters, length capped', () => {
    const t = keyTemplate('{a}/{id}')
    const value = (v: unknown): string => t.partitionOf({ a: v }).a!
    expect(value('x/../../etc')).to.equal('x%2F..%2F..%2Fetc')
    expect(value('..')).to.equal('%2E%2E')
    expect(value('.')).to.equal('%2E')
    expect(value('a\u0000b\nc\u007f')).to.equal('a%00b%0Ac%7F')
    expect(value('k=v#?*')).to.equal('k%3Dv%23%3F%2A')
    expect(value('100%')).to.equal('100%25')
    const long = value('é'.repeat(200))
    expect(Buffer.byteLength(long)).to.be.at.most(128)
    expect(long).to.match(/~[0-9a-f]{32}$/)
    expect(value('é'.repeat(200) + 'x')).not.to.equal(long)
  })

  it('sends a missing, empty, null or non-scalar field to the _missing folder, never an empty segment', () => {
    const t = keyTemplate('api={apiInfo.name}/{id}')
    for (const record of [{}, { apiInfo: null }, { apiInfo: { name: '' } }, { apiInfo: { name: null } }, { apiInfo: { name: { x: 1 } } }, 42, null, { apiInfo: { name: NaN } }]) {
      expect(t.partitionOf(record)).to.deep.equal({ 'apiInfo.name': '_missing' })
    }
    expect(t.partitionOf({ apiInfo: { name: true } })).to.deep.equal({ 'apiInfo.name': 'true' })
  })

  it('never reads inherited properties', () => {
    const t = keyTemplate('{toString}/{id}')
    expect(t.partitionOf({})).to.deep.equal({ toString: '_missing' })
    rejects(() => keyTemplate('{a.__proto__.b}/{id}'), 'options.keyTemplate', /__proto__/)
  })

  it('puts a special partition right after {prefix}, or first', () => {
    expect(keyTemplate('{prefix}api={a}/{id}').render({ ...base, special: 'late' })).to.equal(`runs/late/api=_missing/${ID}`)
    expect(keyTemplate('x/{id}').render({ ...base, special: 'dead-letter' })).to.equal(`dead-letter/x/${ID}`)
  })

  it('fails with ERR_KEY_TEMPLATE naming the placeholder when a batch has no value for a field', () => {
    const t = keyTemplate('api={apiInfo.name}/{id}')
    expect(() => t.render(base)).to.throw(KeyTemplateError).that.satisfies((err: KeyTemplateError) =>
      err.code === 'ERR_KEY_TEMPLATE' && err.placeholder === '{apiInfo.name}')
  })

  it('fails with ERR_KEY_TEMPLATE when the rendered key is too long', () => {
    const t = keyTemplate('{prefix}{id}')
    expect(() => t.render({ ...base, prefix: `${'p'.repeat(1000)}/` })).to.throw(KeyTemplateError)
  })

  describe('validation when built', () => {
    it('names an unknown placeholder, with a hint for a near miss', () => {
      rejects(() => keyTemplate('{yyyy}/{id}'), 'options.keyTemplate', /\{yyyy\}.*did you mean \{YYYY\}/)
      rejects(() => keyTemplate('{ID}'), 'options.keyTemplate', /\{ID\}.*\{id\}/)
      rejects(() => keyTemplate('{not a path}/{id}'), 'options.keyTemplate', /unknown placeholder \{not a path\}/)
      rejects(() => keyTemplate('{}/{id}'), 'options.keyTemplate', /unknown placeholder \{\}/)
      rejects(() => keyTemplate('{a..b}/{id}'), 'options.keyTemplate', /\{a\.\.b\}/)
    })

    it('requires the unique part, unless told not to', () => {
      rejects(() => keyTemplate('{prefix}{YYYY}/{seq}{ext}'), 'options.keyTemplate', /must contain \{id\}/)
      expect(keyTemplate('_manifests/{YYYY}.json', { unique: false }).render(base)).to.equal('_manifests/2026.json')
    })

    it('refuses unbalanced braces', () => {
      rejects(() => keyTemplate('{id'), 'options.keyTemplate', /"\{" without "\}"/)
      rejects(() => keyTemplate('id}{id}'), 'options.keyTemplate', /"\}" without "\{"/)
    })

    it('refuses fixed text that makes unusable keys', () => {
      rejects(() => keyTemplate('/x/{id}'), 'options.keyTemplate', /start with "\/"/)
      rejects(() => keyTemplate('a/../{id}'), 'options.keyTemplate', /segments/)
      rejects(() => keyTemplate('a\n{id}'), 'options.keyTemplate', /control/)
      rejects(() => keyTemplate('{prefix}/{id}'), 'options.keyTemplate', /empty folder/)
      rejects(() => keyTemplate(''), 'options.keyTemplate', /empty/)
      rejects(() => keyTemplate(42 as unknown as string), 'options.keyTemplate', /string/)
    })

    it('refuses an unknown time zone and names the option it came from', () => {
      rejects(() => keyTemplate('{id}', { timeZone: 'Mars/Olympus' }), 'options.timeZone', /IANA/)
      rejects(() => keyTemplate('{nope', { option: 'config.keyTemplate' }), 'config.keyTemplate', /without/)
    })

    it('does not mutate its options', () => {
      const options = Object.freeze({ timeZone: 'UTC' })
      keyTemplate('{id}', options)
      expect(options).to.deep.equal({ timeZone: 'UTC' })
    })
  })

  it('property: any field value renders a valid key whose segment count the template fixes', () => {
    const t = keyTemplate('{prefix}a={x}/b={y.z}/{YYYY}/{id}{ext}')
    fc.assert(fc.property(fc.anything(), fc.anything(), fc.integer({ min: 0, max: 4102444800000 }), (x, y, time) => {
      const fields = t.partitionOf({ x, y: { z: y } })
      const key = t.render({ ...base, time, fields })
      validateKeyText(key, 'key')
      expect(key.split('/')).to.have.length(5)
      for (const v of Object.values(fields)) expect(v).not.to.equal('')
    }), { numRuns: 300 })
  })
})
