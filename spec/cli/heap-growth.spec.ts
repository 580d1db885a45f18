import { expect } from 'chai'
import { execFileSync } from 'node:child_process'
import { readFile } from 'node:fs/promises'
import { HEAP_GROWING_FLAG, limitOldGenerationGrowth } from '../../lib/cli/heap-growth.js'

describe('limitOldGenerationGrowth()', () => {
  function flagsSet (execArgv: string[], env: NodeJS.ProcessEnv = {}): string[] {
    const set: string[] = []
    limitOldGenerationGrowth({ execArgv, env }, { setFlagsFromString: (flags) => { set.push(flags) } })
    return set
  }

  it('sets the heap growing factor at run time: with or without the young-generation restart, on every Node', () => {
    expect(flagsSet([])).to.deep.equal([HEAP_GROWING_FLAG])
    expect(flagsSet(['--max-semi-space-size=4'])).to.deep.equal([HEAP_GROWING_FLAG])
    expect(flagsSet([], { NODE_OPTIONS: '--max-old-space-size=512' })).to.deep.equal([HEAP_GROWING_FLAG])
  })

  it('leaves a factor of the caller\'s own alone', () => {
    expect(flagsSet(['--heap-growing-percent=50'])).to.deep.equal([])
    expect(flagsSet([], { NODE_OPTIONS: '--heap-growing-percent=50' })).to.deep.equal([])
  })

  it('is a flag V8 knows, and the command sets it before it loads anything', async () => {
    const options = execFileSync(process.execPath, ['--v8-options'], { encoding: 'utf8' })
    expect(options).to.contain(`--${HEAP_GROWING_FLAG.slice(2).split('=')[0] ?? ''} `)
    const bin = await readFile(new URL('../../bin/s3-sink.js', import.meta.url), 'utf8')
    expect(bin.indexOf('limitOldGenerationGrowth(process, v8)')).to.be.greaterThan(-1).and.lessThan(bin.indexOf("await import('../dist/cli/main.js')"))
  })
})
