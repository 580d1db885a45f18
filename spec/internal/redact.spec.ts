import { inspect } from 'node:util'
import { expect } from 'chai'
import { redact } from '../../lib/internal/redact.js'

const TOKEN = 'TOKEN-abc'

/** An error shaped like the SDK's after ExpiredToken: the token as Token-0, the raw response non-configurable. */
function awsError (): Error {
  const err = Object.assign(new Error('The provided token has expired.'), { name: 'ExpiredToken', 'Token-0': TOKEN })
  Object.defineProperty(err, '$response', { value: { headers: { 'x-amz-security-token': TOKEN } }, enumerable: false, configurable: false })
  return err
}

const shows = (value: unknown): boolean => inspect(value, { depth: Infinity, showHidden: true }).includes(TOKEN)

describe('internal: redact()', () => {
  it('returns an error without hidden fields, nor anything other than an object, as it is', () => {
    const plain = new Error('x', { cause: new Error('y') })
    expect(redact(plain)).to.equal(plain)
    expect(redact('text')).to.equal('text')
    expect(redact(null)).to.equal(null)
  })

  it('cleans an AggregateError given directly, keeping its class and the other errors', () => {
    const other = new Error('attempt 1')
    const cleaned = redact(new AggregateError([other, awsError()], 'all failed')) as AggregateError
    expect(shows(cleaned)).to.equal(false)
    expect(cleaned).to.be.instanceOf(AggregateError)
    expect(cleaned.errors[0]).to.equal(other)
    expect(cleaned.errors[1]).to.include({ name: 'ExpiredToken' })
  })

  it('copies a cycle as a cycle, cleaned, and leaves the original alone', () => {
    const top = new Error('top')
    const inner = awsError()
    top.cause = inner
    inner.cause = top
    const cleaned = redact(top) as Error
    expect(shows(cleaned)).to.equal(false)
    expect(((cleaned.cause as Error).cause)).to.equal(cleaned)
    expect(shows(top)).to.equal(true)
  })

  it('drops what lies deeper than it checks rather than keep it uncleaned', () => {
    let chain: Error = awsError()
    for (let i = 0; i < 50; i++) chain = new Error(`level ${i}`, { cause: chain })
    const cleaned = redact(chain) as Error
    expect(shows(cleaned)).to.equal(false)
    expect(cleaned.message).to.equal('level 49')
    expect((cleaned.cause as Error).message).to.equal('level 48')
  })
})
