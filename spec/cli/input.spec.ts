import { expect } from 'chai'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { PassThrough } from 'node:stream'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { readInputs, type StopPoint } from '../../lib/cli/input.js'
import type { InputRecord } from '../../lib/cli/ndjson-lines.js'

/** Every record, and what the generator returned. */
async function drain (records: AsyncGenerator<InputRecord, StopPoint | undefined>): Promise<{ lines: string[], end: StopPoint | undefined }> {
  const lines: string[] = []
  for (;;) {
    const step = await records.next()
    if (step.done === true) return { lines, end: step.value }
    lines.push(`${step.value.file}:${step.value.line}`)
  }
}

const tick = async (): Promise<void> => await new Promise((resolve) => setImmediate(resolve))

describe('readInputs()', () => {
  let dir: string
  let a: string
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'cli-input-'))
    a = join(dir, 'a.ndjson')
    await writeFile(a, '{"n":1}\n\n{"n":2}\n')
  })
  after(async () => { await rm(dir, { recursive: true, force: true }) })

  it('keeps no record it has handed over while a stop signal is armed (memory stays flat)', async () => {
    // A record must be garbage once taken; Promise.race against one long-lived
    // "stopped" promise used to keep every record of the run.
    setFlagsFromString('--expose-gc')
    const gc = runInNewContext('gc') as () => void
    const stdin = new PassThrough()
    const records = readInputs(['-'], { stdin, stop: new AbortController().signal })
    const refs: Array<WeakRef<object>> = []
    for (let i = 0; i < 500; i++) {
      stdin.write(`{"n":${i},"pad":"${'x'.repeat(200)}"}\n`)
      const step = await records.next()
      refs.push(new WeakRef(step.value as object))
    }
    await tick()
    gc()
    await tick()
    const alive = refs.filter((ref) => ref.deref() !== undefined).length
    expect(alive).to.be.below(20)
    stdin.end()
    await records.return(undefined)
  })

  it('reads the files and standard input in order and returns nothing at the end', async () => {
    const stdin = new PassThrough()
    stdin.end('{"n":3}')
    expect(await drain(readInputs([a, '-'], { stdin }))).to.deep.equal({ lines: [`${a}:1`, `${a}:3`, '<stdin>:1'], end: undefined })
  })

  it('on stop, returns at once while the input is quiet, closes it and drops the partial line', async () => {
    const stdin = new PassThrough()
    const stop = new AbortController()
    const records = readInputs([], { stdin, stop: stop.signal })
    stdin.write('{"n":1}\n{"n":2}\n{"n":')
    expect((await records.next()).value).to.include({ line: 1 })
    expect((await records.next()).value).to.include({ line: 2 })
    const waiting = records.next()
    await tick()
    stop.abort('SIGTERM')
    expect(await waiting).to.deep.equal({ done: true, value: { file: '<stdin>', line: 3 } })
    await tick()
    expect(stdin.destroyed).to.equal(true)
  })

  it('on stop, drops records parsed but not yet taken, and names the first of them', async () => {
    const stdin = new PassThrough()
    const stop = new AbortController()
    const records = readInputs(['-'], { stdin, stop: stop.signal })
    stdin.write('{"n":1}\n{"n":2}\n{"n":3}\n')
    expect((await records.next()).value).to.include({ line: 1 })
    stop.abort()
    expect(await drain(records)).to.deep.equal({ lines: [], end: { file: '<stdin>', line: 2 } })
  })

  it('a stop names the first line not read, even past the end of a file; one before anything names the first input', async () => {
    const stop = new AbortController()
    const stdin = new PassThrough()
    const records = readInputs([a, '-'], { stdin, stop: stop.signal })
    expect((await records.next()).value).to.include({ line: 1 })
    expect((await records.next()).value).to.include({ line: 3 })
    stop.abort()
    expect(await drain(records)).to.deep.equal({ lines: [], end: { file: a, line: 4 } })
    expect(await drain(readInputs([a], { stdin, stop: AbortSignal.abort() }))).to.deep.equal({ lines: [], end: { file: a, line: 1 } })
  })

  it('reads only as fast as records are taken (backpressure), and an early return closes the input', async () => {
    const stdin = new PassThrough()
    const records = readInputs([], { stdin })
    const line = `{"pad":"${'x'.repeat(1000)}"}\n`
    for (let i = 0; i < 1000; i++) stdin.write(line)
    await records.next()
    await tick()
    // One record taken: about a megabyte stays in the input instead of being parsed into memory.
    expect(stdin.readableLength + stdin.writableLength).to.be.greaterThan(900 * line.length)
    await records.return(undefined)
    await tick()
    expect(stdin.destroyed).to.equal(true)
  })

  it('fails with the line\'s error, closing the input', async () => {
    const stdin = new PassThrough()
    stdin.end('{"n":1}\nnope\n')
    const err = await drain(readInputs([], { stdin, stop: new AbortController().signal })).catch((e: unknown) => e)
    expect(err).to.include({ code: 'ERR_RECORD_PARSE', line: 2 })
    await tick()
    expect(stdin.destroyed).to.equal(true)
  })
})
