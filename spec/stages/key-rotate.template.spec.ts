import { expect } from 'chai'
import { Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Batch } from '../../lib/batch.js'
import { InvalidOptionError, KeyTemplateError } from '../../lib/errors.js'
import { keyTemplate } from '../../lib/key-template.js'
import { sourcePosition } from '../../lib/source-position.js'
import { compress } from '../../lib/stages/compress.js'
import { keyRotate } from '../../lib/stages/key-rotate.js'
import { minuteWindow } from '../../lib/stages/minute-window.js'
import { manualClock } from '../helpers/manual-clock.js'
import { source } from '../helpers/streams.js'

const T0 = Date.UTC(2026, 10, 25, 14, 3, 7)

async function keys (records: unknown[], window: Parameters<typeof minuteWindow>[0], rotate: Parameters<typeof keyRotate>[0], compression: 'gzip' | 'zstd' | 'none' = 'gzip'): Promise<string[]> {
  const stages = [minuteWindow({ clock: manualClock(T0), ...window }), ...(compression === 'none' ? [] : [compress({ compression })]), keyRotate(rotate)]
  const batches: Batch[] = []
  await pipeline([source(records), ...stages, new Writable({ objectMode: true, write (b: Batch, _e, cb) { batches.push(b); b.body.resume(); cb() } })])
  return batches.map((b) => b.key!).sort()
}

describe('keyRotate({ keyTemplate })', () => {
  it('names batches by the template: fields of their partition, date parts, ext, prefix', async () => {
    const t = keyTemplate('{prefix}api={apiInfo.name}/dt={YYYY}-{MM}-{DD}/{HH}{mm}{ss}-{seq}-{id}{ext}')
    const got = await keys([{ apiInfo: { name: 'a' } }, { apiInfo: { name: 'b/c' } }, {}], { partitionBy: t.fields }, { prefix: 'runs', keyTemplate: t })
    expect(got).to.have.length(3)
    expect(got[0]).to.match(/^runs\/api=_missing\/dt=2026-11-25\/140307-2-[0-9a-f]{64}\.gz$/)
    expect(got[1]).to.match(/^runs\/api=a\/dt=2026-11-25\/140307-0-[0-9a-f]{64}\.gz$/)
    expect(got[2]).to.match(/^runs\/api=b%2Fc\/dt=2026-11-25\/140307-1-[0-9a-f]{64}\.gz$/)
  })

  it('an IANA time zone, no compression: empty {ext}', async () => {
    const got = await keys([{ n: 1 }], {}, { keyTemplate: 'd={YYYY}{MM}{DD}/h={HH}/{id}.ndjson{ext}', timeZone: 'America/New_York' }, 'none')
    expect(got[0]).to.match(/^d=20261125\/h=09\/[0-9a-f]{64}\.ndjson$/)
  })

  it('puts dead letters in their folder after {prefix}', async () => {
    const got = await keys([{ ok: 1 }, { bad: 1n }], { onInvalid: 'dead-letter' }, { prefix: 'p', keyTemplate: '{prefix}{YYYY}/{id}{ext}' })
    expect(got.some((k) => /^p\/dead-letter\/2026\/[0-9a-f]{64}\.gz$/.test(k))).to.equal(true)
    expect(got.some((k) => /^p\/2026\/[0-9a-f]{64}\.gz$/.test(k))).to.equal(true)
  })

  it('with stableKeys, {id} is the stable id and the date the window: a replay repeats the keys', async () => {
    const records = (): unknown[] => Array.from({ length: 6 }, (_, i) => ({ i, [sourcePosition]: `f:${i}` }))
    const options = { keyTemplate: '{YYYY}{MM}{DD}-{HH}{mm}{ss}/{id}{ext}', stableKeys: true }
    const a = await keys(records(), { maxRecords: 2, closeOnTime: false }, options)
    const b = await keys(records(), { maxRecords: 2, closeOnTime: false }, options)
    expect(a).to.deep.equal(b)
    expect(a[0]).to.match(/^20261125-140300\//)
  })

  it('a batch lacking a field of the template fails with ERR_KEY_TEMPLATE naming it', async () => {
    const err = await pipeline(source([{ a: 1 }]), minuteWindow({ clock: manualClock(T0) }), keyRotate({ keyTemplate: '{a}/{id}' }), async function * (batches) { for await (const b of batches) yield b }).catch((e: unknown) => e)
    expect(err).to.be.instanceOf(KeyTemplateError).with.property('placeholder', '{a}')
  })

  it('validates the template when built, naming the option', () => {
    for (const [options, option] of [
      [{ keyTemplate: '{YYYY}' }, 'options.keyTemplate'],
      [{ keyTemplate: '{yyyy}/{id}' }, 'options.keyTemplate'],
      [{ keyTemplate: 5 }, 'options.keyTemplate'],
      [{ timeZone: 'UTC' }, 'options.timeZone'],
      [{ keyTemplate: '{id}', timeZone: 'Mars/Base' }, 'options.timeZone'],
      [{ keyTemplate: '{id}', key: () => 'x' }, 'options.keyTemplate']
    ] as const) {
      expect(() => keyRotate(options as never)).to.throw(InvalidOptionError).with.property('option', option)
    }
  })
})
