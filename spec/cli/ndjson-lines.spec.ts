import { expect } from 'chai'
import { PassThrough, Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { ndjsonLines, type InputRecord } from '../../lib/cli/ndjson-lines.js'
import { collect } from '../helpers/streams.js'

/** Waits for 'close' without treating 'error' as a failure, as events.once() would. */
async function closed (stream: NodeJS.EventEmitter): Promise<void> {
  await new Promise((resolve) => stream.once('close', resolve))
}

async function parse (chunks: Array<string | Buffer>, options = {}): Promise<InputRecord[]> {
  const lines = ndjsonLines(options)
  const done = collect<InputRecord>(lines)
  await pipeline(Readable.from(chunks.map((c) => Buffer.from(c)), { objectMode: false }), lines)
  return await done
}

async function failure (chunks: string[], options = {}): Promise<Error & { code?: string, file?: string, line?: number }> {
  try {
    await parse(chunks, options)
  } catch (err) {
    return err as Error
  }
  throw new Error('expected the stream to fail')
}

describe('ndjsonLines()', () => {
  it('parses one record per line with its file and 1-based line number', async () => {
    const records = await parse(['{"a":1}\n{"a":2}\n'], { file: 'runs.ndjson' })
    expect(records).to.deep.equal([
      { value: { a: 1 }, text: '{"a":1}', file: 'runs.ndjson', line: 1 },
      { value: { a: 2 }, text: '{"a":2}', file: 'runs.ndjson', line: 2 }
    ])
  })

  it('reassembles lines split across chunks, even inside a UTF-8 character', async () => {
    const text = '{"name":"café ☕"}\n{"n":2}\n'
    const bytes = Buffer.from(text)
    const records = await parse([...bytes].map((b) => Buffer.of(b)))
    expect(records.map((r) => r.value)).to.deep.equal([{ name: 'café ☕' }, { n: 2 }])
    expect(records[0]?.text).to.equal('{"name":"café ☕"}')
  })

  it('tolerates CRLF, skips blank lines but counts them, strips a BOM and takes a last line without newline', async () => {
    const records = await parse(['\ufeff{"a":1}\r\n\r\n   \n{"a":2}\r', '\n\n{"a":3}'])
    expect(records.map((r) => [r.line, r.text])).to.deep.equal([[1, '{"a":1}'], [4, '{"a":2}'], [6, '{"a":3}']])
  })

  it('keeps the text byte for byte (spacing, number formats) next to the parsed value', async () => {
    const [record] = await parse(['{ "price" : 1.50, "big": 12345678901234567890 }\n'])
    expect(record?.text).to.equal('{ "price" : 1.50, "big": 12345678901234567890 }')
    expect(record?.value).to.deep.equal({ price: 1.5, big: 12345678901234567890 })
  })

  it('fails on invalid JSON with ERR_RECORD_PARSE naming the file and line, once', async () => {
    const lines = ndjsonLines({ file: 'in.ndjson' })
    const errors: Error[] = []
    lines.on('error', (err) => errors.push(err))
    lines.resume()
    lines.end('{"a":1}\n\n{"a":\n{"a":3}\n')
    await closed(lines)
    expect(errors).to.have.length(1)
    const err = errors[0] as Error & { code: string, file: string, line: number }
    expect(err.code).to.equal('ERR_RECORD_PARSE')
    expect(err.file).to.equal('in.ndjson')
    expect(err.line).to.equal(3)
    expect(err.message).to.match(/^in\.ndjson:3: invalid JSON/)
  })

  it('reports a line split across chunks at its own line number', async () => {
    const err = await failure(['{"a":1}\n{"a"', ':oops}\n'])
    expect(err.line).to.equal(2)
    expect(err.file).to.equal('<stdin>')
  })

  it('fails on a line longer than maxLineBytes, before buffering it whole', async () => {
    const err = await failure(['{"a":1}\n', '"' + 'x'.repeat(40), 'x'.repeat(40) + '"\n'], { maxLineBytes: 32 })
    expect(err.code).to.equal('ERR_RECORD_PARSE')
    expect(err.line).to.equal(2)
    expect(err.message).to.include('longer than 32 bytes')
    // A `\r` is not part of the line: exactly maxLineBytes passes.
    const ok = await parse(['"' + 'x'.repeat(30) + '"\r\n'], { maxLineBytes: 32 })
    expect(ok).to.have.length(1)
  })

  it('validates its options', () => {
    for (const [options, option] of [[{ file: '' }, 'options.file'], [{ maxLineBytes: 0 }, 'options.maxLineBytes'], [{ maxLineBytes: 1.5 }, 'options.maxLineBytes'], ['x', 'options']] as const) {
      expect(() => ndjsonLines(options as never)).to.throw().that.includes({ code: 'ERR_INVALID_OPTION', option })
    }
  })

  it('does not mutate its options', () => {
    const options = Object.freeze({ file: 'f', maxLineBytes: 10 })
    ndjsonLines(options)
    expect(options).to.deep.equal({ file: 'f', maxLineBytes: 10 })
  })

  it('holds further input while its records are not read (backpressure)', async () => {
    const lines = ndjsonLines()
    const chunk = Buffer.from(`{"pad":"${'x'.repeat(90)}"}\n`.repeat(100))
    let accepted = 0
    for (let i = 0; i < 20; i++) if (lines.write(chunk)) accepted++
    await new Promise((resolve) => setImmediate(resolve))
    // Only the first chunk was split; the others wait in the writable buffer.
    expect(accepted).to.be.lessThan(20)
    expect(lines.readableLength).to.equal(100)
    expect(lines.writableLength).to.be.greaterThan(0)
    const records = collect<InputRecord>(lines)
    lines.end()
    expect(await records).to.have.length(2000)
  })

  it('reports a destroy mid-stream once, with close and without end', async () => {
    const source = new PassThrough()
    const lines = ndjsonLines()
    const events: string[] = []
    lines.on('end', () => events.push('end'))
    lines.on('error', (err) => events.push(`error:${err.message}`))
    lines.on('data', () => events.push('data'))
    source.pipe(lines)
    source.write('{"a":1}\n{"a":')
    await new Promise((resolve) => setImmediate(resolve))
    lines.destroy(new Error('boom'))
    await closed(lines)
    expect(events).to.deep.equal(['data', 'error:boom'])
  })
})
