import { expect } from 'chai'
import { backoffDelay, classifyFailure, RETRY_DEFAULTS } from '../../lib/internal/retry-policy.js'
import { retrying, type RetryNotice } from '../../lib/internal/retry-loop.js'
import { fastClock } from '../helpers/fast-clock.js'

const aws = (name: string, status?: number, extra: object = {}): Error =>
  Object.assign(new Error(name), { name, ...(status === undefined ? {} : { $metadata: { httpStatusCode: status } }), ...extra })

describe('retry policy', () => {
  describe('classifyFailure()', () => {
    const table: Array<[string, unknown, string]> = [
      ['503 SlowDown', aws('SlowDown', 503), 'throttle'],
      ['429', aws('TooManyRequests', 429), 'throttle'],
      ['503 ServiceUnavailable', aws('ServiceUnavailable', 503), 'throttle'],
      ['500 InternalError', aws('InternalError', 500), 'transient'],
      ['502', aws('BadGateway', 502), 'transient'],
      ['504', aws('GatewayTimeout', 504), 'transient'],
      ['TimeoutError (request or socket timeout)', aws('TimeoutError'), 'transient'],
      ['400 RequestTimeout', aws('RequestTimeout', 400), 'transient'],
      ['ECONNRESET', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET' }), 'transient'],
      ['ECONNREFUSED', Object.assign(new Error('refused'), { code: 'ECONNREFUSED' }), 'transient'],
      ['409 ConditionalRequestConflict', aws('ConditionalRequestConflict', 409), 'transient'],
      ['403 AccessDenied', aws('AccessDenied', 403), 'permanent'],
      ['404 NoSuchBucket', aws('NoSuchBucket', 404), 'permanent'],
      ['403 InvalidAccessKeyId', aws('InvalidAccessKeyId', 403), 'permanent'],
      ['403 SignatureDoesNotMatch', aws('SignatureDoesNotMatch', 403), 'permanent'],
      ['400 InvalidArgument', aws('InvalidArgument', 400), 'permanent'],
      ['409 BucketAlreadyExists', aws('BucketAlreadyExists', 409), 'permanent'],
      ['501 NotImplemented', aws('NotImplemented', 501), 'permanent'],
      ['ENOTFOUND (a mistyped endpoint)', Object.assign(new Error('getaddrinfo'), { code: 'ENOTFOUND' }), 'permanent'],
      ['AbortError', aws('AbortError'), 'permanent'],
      ['a TypeError (a bug)', new TypeError('x is undefined'), 'permanent'],
      ['not an error', 'boom', 'permanent']
    ]
    for (const [name, err, kind] of table) it(`${name} → ${kind}`, () => { expect(classifyFailure(err)).to.equal(kind) })
  })

  describe('backoffDelay(): capped exponential, full jitter', () => {
    it('stays within [0, min(cap, base × 2^retry)) and reaches the cap', () => {
      for (let retry = 0; retry < 12; retry++) {
        expect(backoffDelay(retry, 'transient', () => 0)).to.equal(0)
        expect(backoffDelay(retry, 'transient', () => 0.999999)).to.equal(Math.floor(0.999999 * Math.min(RETRY_DEFAULTS.capMs, 100 * 2 ** retry)))
        expect(backoffDelay(retry, 'throttle', () => 0.5)).to.equal(Math.floor(0.5 * Math.min(RETRY_DEFAULTS.capMs, 1000 * 2 ** retry)))
      }
      expect(backoffDelay(1000, 'transient', () => 0.5)).to.equal(RETRY_DEFAULTS.capMs / 2)
    })
  })

  describe('retrying()', () => {
    const ctx = (retryFor: number, onRetry: (n: RetryNotice) => void = () => {}, maxAttempts = Infinity) => {
      const clock = fastClock()
      return { policy: { retryFor, maxAttempts, clock, random: () => 0.5 }, signal: new AbortController().signal, onRetry }
    }

    it('retries until success, announcing each retry', async () => {
      let calls = 0
      const notices: RetryNotice[] = []
      const result = await retrying(async () => { if (++calls < 4) throw aws('InternalError', 500); return 'ok' }, ctx(60_000, (n) => notices.push(n)), { attempts: 0, ambiguous: false })
      expect(result).to.equal('ok')
      expect(notices.map((n) => [n.attempt, n.delayMs, n.kind])).to.deep.equal([[1, 50, 'transient'], [2, 100, 'transient'], [3, 200, 'transient']])
    })

    it('a permanent failure ends at once; maxAttempts and the deadline end the others', async () => {
      const log = { attempts: 0, ambiguous: false }
      await retrying(async () => { throw aws('AccessDenied', 403) }, ctx(60_000), log).catch(() => {})
      expect(log).to.include({ attempts: 1, ambiguous: false })
      const capped = { attempts: 0, ambiguous: false }
      await retrying(async () => { throw aws('SlowDown', 503) }, ctx(60_000, () => {}, 3), capped).catch(() => {})
      expect(capped).to.include({ attempts: 3, ambiguous: false })
      const timed = { attempts: 0, ambiguous: false }
      const err = await retrying(async () => { throw aws('InternalError', 500) }, ctx(5_000), timed).catch((e: unknown) => e)
      expect(err).to.include({ name: 'InternalError' })
      expect(timed.ambiguous).to.equal(true)
      // 50 + 100 + ... + 1600 ms fits in 5 s; the next wait (3.2 s) would not.
      expect(timed.attempts).to.equal(7)
    })

    it('the retryFor window opens at the first failure: a request that fails an hour into a long upload still gets all of it', async () => {
      const c = ctx(5_000)
      let calls = 0
      const log = { attempts: 0, ambiguous: false }
      await retrying(async () => {
        // The first attempt takes an hour (a part of a long upload), then fails.
        if (calls++ === 0) await new Promise((resolve) => c.policy.clock.setTimeout(() => { resolve(undefined) }, 3600_000))
        throw aws('InternalError', 500)
      }, c, log).catch(() => {})
      expect(log.attempts).to.equal(7)
    })

    it('an abort ends the wait at once with the abort reason', async () => {
      const c = ctx(60_000)
      const ac = new AbortController()
      const stop = new Error('stop')
      const slow = { ...c, policy: { ...c.policy, clock: { now: Date.now, setTimeout: (fn: () => void, ms: number) => setTimeout(fn, ms), clearTimeout: (h: unknown) => { clearTimeout(h as NodeJS.Timeout) } } }, signal: ac.signal }
      const p = retrying(async () => { throw aws('SlowDown', 503) }, slow, { attempts: 0, ambiguous: false })
      setTimeout(() => { ac.abort(stop) }, 20)
      expect(await p.catch((e: unknown) => e)).to.equal(stop)
    })
  })
})
