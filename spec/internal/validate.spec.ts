import { expect } from 'chai'
import { InvalidOptionError } from '../../lib/errors.js'
import {
  nearestName,
  typeName,
  validateBoolean,
  validateFunction,
  validateInteger,
  validateKeyText,
  validateKnownKeys,
  validateObject,
  validateOneOf,
  validateString,
  validateStringArray
} from '../../lib/internal/validate.js'

/** Runs `fn`, expecting an InvalidOptionError naming `option`; returns it. */
function rejects (fn: () => unknown, option: string): InvalidOptionError {
  try {
    fn()
  } catch (err) {
    expect(err).to.be.instanceOf(InvalidOptionError)
    const e = err as InvalidOptionError
    expect(e.code).to.equal('ERR_INVALID_OPTION')
    expect(e.option).to.equal(option)
    expect(e.message.startsWith(`${option} `)).to.equal(true)
    return e
  }
  expect.fail(`expected ${option} to be rejected`)
}

describe('internal/validate', () => {
  describe('validateObject()', () => {
    it('accepts undefined and plain objects', () => {
      expect(() => { validateObject(undefined, 'options') }).not.to.throw()
      expect(() => { validateObject({}, 'options') }).not.to.throw()
      expect(() => { validateObject({ a: 1 }, 'options') }).not.to.throw()
    })

    for (const [label, value] of [['null', null], ['an array', []], ['a number', 1], ['a string', 'x'], ['a function', () => 1]] as const) {
      it(`rejects ${label}`, () => {
        const err = rejects(() => { validateObject(value, 'options.clock') }, 'options.clock')
        expect(err.message).to.include('must be an object')
      })
    }
  })

  describe('validateInteger()', () => {
    it('returns the value, or undefined when absent', () => {
      expect(validateInteger(undefined, 'n', 0)).to.equal(undefined)
      expect(validateInteger(5, 'n', 0)).to.equal(5)
    })

    it('includes both bounds', () => {
      expect(validateInteger(0, 'n', 0, 9)).to.equal(0)
      expect(validateInteger(9, 'n', 0, 9)).to.equal(9)
    })

    for (const value of [1.5, Number.NaN, Infinity, '5', null, true, 10n]) {
      it(`rejects the non-integer ${typeof value === 'bigint' ? '10n' : String(value)}`, () => {
        const err = rejects(() => validateInteger(value, 'options.level', 0, 9), 'options.level')
        expect(err.message).to.include('must be an integer')
      })
    }

    it('rejects values out of range, with the range in the message', () => {
      expect(rejects(() => validateInteger(-1, 'options.level', 0, 9), 'options.level').message).to.equal('options.level must be between 0 and 9, got -1')
      rejects(() => validateInteger(10, 'options.level', 0, 9), 'options.level')
    })

    it('has no upper bound beyond MAX_SAFE_INTEGER by default', () => {
      expect(validateInteger(Number.MAX_SAFE_INTEGER, 'n', 1)).to.equal(Number.MAX_SAFE_INTEGER)
      rejects(() => validateInteger(Number.MAX_SAFE_INTEGER + 1, 'n', 1), 'n')
    })
  })

  describe('validateBoolean()', () => {
    it('accepts booleans and undefined', () => {
      expect(validateBoolean(true, 'b')).to.equal(true)
      expect(validateBoolean(false, 'b')).to.equal(false)
      expect(validateBoolean(undefined, 'b')).to.equal(undefined)
    })

    for (const value of ['true', 1, 0, null, {}]) {
      it(`rejects ${JSON.stringify(value)}`, () => {
        rejects(() => validateBoolean(value, 'options.skipOnFail'), 'options.skipOnFail')
      })
    }
  })

  describe('validateString()', () => {
    it('accepts strings and undefined', () => {
      expect(validateString('a', 's')).to.equal('a')
      expect(validateString(undefined, 's')).to.equal(undefined)
    })

    it('rejects the empty string unless allowed', () => {
      expect(rejects(() => validateString('', 'options.prefix'), 'options.prefix').message).to.include('must not be empty')
      expect(validateString('', 'options.prefix', { empty: true })).to.equal('')
    })

    for (const value of [1, null, ['a'], {}]) {
      it(`rejects ${JSON.stringify(value)}`, () => {
        rejects(() => validateString(value, 'config.bucket'), 'config.bucket')
      })
    }
  })

  describe('validateFunction()', () => {
    it('returns the function, or undefined when absent', () => {
      const fn = (): number => 1
      expect(validateFunction(fn, 'f')).to.equal(fn)
      expect(validateFunction(undefined, 'f')).to.equal(undefined)
    })

    for (const value of ['fn', 1, null, {}]) {
      it(`rejects ${JSON.stringify(value)}`, () => {
        rejects(() => validateFunction(value, 'options.key'), 'options.key')
      })
    }
  })

  describe('validateStringArray()', () => {
    it('returns a copy, so later changes to the caller\'s array do not leak in', () => {
      const input = ['a', 'b']
      const out = validateStringArray(input, 'list')
      expect(out).to.deep.equal(['a', 'b'])
      expect(out).not.to.equal(input)
      input.push('c')
      expect(out).to.deep.equal(['a', 'b'])
    })

    it('accepts undefined and an empty array', () => {
      expect(validateStringArray(undefined, 'list')).to.equal(undefined)
      expect(validateStringArray([], 'list')).to.deep.equal([])
    })

    it('rejects a non-array', () => {
      rejects(() => validateStringArray('api1', 'options.apisToSend'), 'options.apisToSend')
      rejects(() => validateStringArray({ 0: 'a' }, 'options.apisToSend'), 'options.apisToSend')
    })

    it('names the bad item by its index', () => {
      rejects(() => validateStringArray(['a', 1], 'options.apisToSend'), 'options.apisToSend[1]')
      rejects(() => validateStringArray(['a', 'b', ''], 'options.apisToSend'), 'options.apisToSend[2]')
      rejects(() => validateStringArray([null], 'options.apisToSend'), 'options.apisToSend[0]')
    })

    it('rejects undefined items and holes instead of skipping them', () => {
      expect(rejects(() => validateStringArray(['a', undefined], 'options.apisToSend'), 'options.apisToSend[1]').message)
        .to.equal('options.apisToSend[1] must be a string, got undefined')
      rejects(() => validateStringArray(['a', , 'b'], 'options.apisToSend'), 'options.apisToSend[1]')
    })
  })

  describe('validateOneOf()', () => {
    it('returns an allowed value, or undefined when absent', () => {
      expect(validateOneOf('ndjson', 'f', ['ndjson'])).to.equal('ndjson')
      expect(validateOneOf(undefined, 'f', ['ndjson'])).to.equal(undefined)
    })

    it('rejects anything else and lists the allowed values', () => {
      const err = rejects(() => validateOneOf('csv', 'options.format', ['ndjson', 'json']), 'options.format')
      expect(err.message).to.include('"ndjson", "json"')
      rejects(() => validateOneOf('NDJSON', 'options.format', ['ndjson']), 'options.format')
      rejects(() => validateOneOf(null, 'options.format', ['ndjson']), 'options.format')
    })
  })

  describe('validateKnownKeys()', () => {
    it('accepts known keys', () => {
      expect(() => { validateKnownKeys({ a: 1, b: 2 }, 'config', ['a', 'b', 'c']) }).not.to.throw()
    })

    it('names the first unknown key and lists the known ones when none is near', () => {
      const err = rejects(() => { validateKnownKeys({ a: 1, z: 2 }, 'config', ['a', 'bb']) }, 'config.z')
      expect(err.message).to.equal('config.z is not a known option (known: a, bb)')
    })

    for (const [typo, meant] of [['skipOnFailure', 'skipOnFail'], ['Bucket', 'bucket'], ['windowMS', 'windowMs'], ['maxbytes', 'maxBytes'],
      ['concurency', 'concurrency'], ['chunkSzie', 'chunkSize'], ['prefx', 'prefix'], ['lvl', undefined], ['timeOf', undefined]] as const) {
      it(`suggests ${String(meant)} for ${typo}`, () => {
        const known = ['skipOnFail', 'bucket', 'windowMs', 'maxBytes', 'concurrency', 'chunkSize', 'prefix', 'level', 'clock']
        expect(nearestName(typo, known)).to.equal(meant)
        const err = rejects(() => { validateKnownKeys({ [typo]: 1 }, 'options', known, 'field') }, `options.${typo}`)
        expect(err.message).to.include(meant === undefined ? 'is not a known field (known: ' : `is not a known field; did you mean ${meant}?`)
      })
    }
  })

  describe('validateKeyText()', () => {
    for (const ok of ['logs', 'a/b/c', 'a..b', '.hidden', 'a/.../b', 'café/😀', 'a b']) {
      it(`accepts ${JSON.stringify(ok)}`, () => {
        expect(() => { validateKeyText(ok, 'options.prefix') }).not.to.throw()
      })
    }

    for (const bad of ['a\u0000b', 'a\tb', 'a\nb', 'a\rb', '\u001f', 'a\u007fb']) {
      it(`rejects the control character in ${JSON.stringify(bad).replace('\u007f', '\\u007f')}`, () => {
        expect(rejects(() => { validateKeyText(bad, 'options.prefix') }, 'options.prefix').message).to.include('control characters')
      })
    }

    it('rejects a leading "/"', () => {
      rejects(() => { validateKeyText('/abs', 'options.prefix') }, 'options.prefix')
      rejects(() => { validateKeyText('/', 'options.prefix') }, 'options.prefix')
    })

    for (const [bad, says] of [['a//b', 'empty folder'], ['a/b//', 'empty folder'], ['a/b/', 'end with "/"']] as const) {
      it(`rejects ${JSON.stringify(bad)}: ${says}`, () => {
        expect(rejects(() => { validateKeyText(bad, 'options.key()') }, 'options.key()').message).to.include(says)
      })
    }

    for (const bad of ['..', '.', 'a/../b', 'a/./b', 'a/..', '../a', 'a/b/.']) {
      it(`rejects the dot segment in ${JSON.stringify(bad)}`, () => {
        rejects(() => { validateKeyText(bad, 'options.key()') }, 'options.key()')
      })
    }

    it('counts the 1024-byte limit in UTF-8 bytes, not characters', () => {
      expect(() => { validateKeyText('a'.repeat(1024), 'k') }).not.to.throw()
      rejects(() => { validateKeyText('a'.repeat(1025), 'k') }, 'k')
      // 342 three-byte characters: 342 characters, 1026 bytes.
      rejects(() => { validateKeyText('€'.repeat(342), 'k') }, 'k')
    })
  })

  describe('typeName()', () => {
    it('describes values without printing their contents', () => {
      expect(typeName(null)).to.equal('null')
      expect(typeName(undefined)).to.equal('undefined')
      expect(typeName([1])).to.equal('an array')
      expect(typeName(Number.NaN)).to.equal('NaN')
      expect(typeName(3)).to.equal('3')
      expect(typeName(false)).to.equal('false')
      expect(typeName({ secretAccessKey: 'hunter2' })).to.equal('an object')
      expect(typeName('hunter2')).to.equal('a string')
      expect(typeName(1n)).to.equal('a bigint')
      expect(typeName(() => 1)).to.equal('a function')
    })
  })
})
