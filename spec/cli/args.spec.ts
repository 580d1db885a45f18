import { expect } from 'chai'
import { inspect } from 'node:util'
import { parseCliArgs } from '../../lib/cli/args.js'
import { redactor } from '../../lib/cli/redact.js'

const SECRET = 'wJalrXUtnFEMI/K7MDENG/bPxRfiCYSECRETKEY'

function usageError (argv: string[], env: NodeJS.ProcessEnv = {}): Error & { code?: string, option?: string } {
  try {
    parseCliArgs(argv, env)
  } catch (err) {
    return err as Error
  }
  throw new Error(`expected ${argv.join(' ')} to be rejected`)
}

describe('parseCliArgs()', () => {
  it('has a kebab-case flag for every config field and tuning option', () => {
    const o = parseCliArgs([
      '--bucket', 'logs', '--region', 'eu-west-1', '--endpoint', 'http://127.0.0.1:9000', '--force-path-style',
      '--access-key-id', 'AKIA', '--secret-access-key', SECRET, '--session-token', 'tok3n', '--prefix', 'runs/',
      '--skip-on-fail', '--apis-to-send', 'a,b', '--apis-to-send', ' c ', '--window-ms', '10000', '--max-bytes', '64MiB',
      '--max-records', '500', '--gzip-level', '1', '--concurrency', '3', '--part-size', '8m', '--queue-size', '2',
      '--abort-timeout', '5000', '--max-attempts', '5', '--request-timeout', '3000', '--connection-timeout', '1000',
      '--socket-timeout', '2000', '--retry-for', '60000', '--if-none-match', '--shutdown-timeout', '45000', 'a.ndjson', '-'
    ], {})
    expect(o).to.deep.include({
      files: ['a.ndjson', '-'], bucket: 'logs', prefix: 'runs/', skipOnFail: true, apisToSend: ['a', 'b', 'c'],
      windowMs: 10000, maxBytes: 64 * 1024 * 1024, maxRecords: 500, compression: 'gzip', level: 1, encodingHeader: true, concurrency: 3,
      partSize: 8 * 1024 * 1024, queueSize: 2, abortTimeout: 5000, shutdownTimeout: 45000, perRecord: false, outDir: undefined,
      retryFor: 60000, ifNoneMatch: true
    })
    expect(o.connection()).to.deep.equal({
      region: 'eu-west-1', endpoint: 'http://127.0.0.1:9000', forcePathStyle: true, accessKeyId: 'AKIA',
      secretAccessKey: SECRET, sessionToken: 'tok3n', maxAttempts: 5, requestTimeout: 3000, socketTimeout: 2000, connectionTimeout: 1000
    })
  })

  it('accepts --bucket-name as the alias of --bucket, and --no-gzip', () => {
    const o = parseCliArgs(['--bucket-name', 'logs', '--region', 'r', '--no-gzip'], {})
    expect(o.bucket).to.equal('logs')
    expect(o.compression).to.equal('none')
  })

  it('takes --compression, --compression-level, --gzip-threads and --no-content-encoding', () => {
    const o = parseCliArgs(['--bucket', 'b', '--region', 'r', '--compression', 'zstd', '--compression-level', '19', '--no-content-encoding'], {})
    expect(o).to.deep.include({ compression: 'zstd', level: 19, encodingHeader: false })
    expect(parseCliArgs(['--bucket', 'b', '--region', 'r', '--gzip-threads', '2'], {})).to.deep.include({ compression: 'gzip', threads: 2 })
    expect(parseCliArgs(['--bucket', 'b', '--region', 'r', '--compression', 'none'], {}).compression).to.equal('none')
  })

  it('refuses compression flags that contradict each other, naming the flag', () => {
    const cases: Array<[string[], string]> = [
      [['--compression', 'brotli'], '--compression'],
      [['--no-gzip', '--compression', 'zstd'], '--no-gzip'],
      [['--no-gzip', '--gzip-level', '1'], '--gzip-level'],
      [['--compression', 'zstd', '--gzip-level', '1'], '--gzip-level'],
      [['--compression', 'zstd', '--gzip-threads', '2'], '--gzip-threads'],
      [['--gzip-level', '1', '--compression-level', '2'], '--gzip-level'],
      [['--gzip-level', '12'], '--gzip-level'],
      [['--per-record', '--compression', 'zstd'], '--compression']
    ]
    for (const [argv, flag] of cases) {
      const err = usageError(['--bucket', 'b', '--region', 'r', ...argv])
      expect(err.code, argv.join(' ')).to.equal('ERR_INVALID_OPTION')
      expect(err.option, argv.join(' ')).to.equal(flag)
    }
    expect(usageError(['--out-dir', 'x', '--no-content-encoding']).option).to.equal('--no-content-encoding')
  })

  it('takes --stable-keys (which implies --no-close-on-time) and --no-close-on-time', () => {
    expect(parseCliArgs(['--out-dir', 'o'], {})).to.include({ stableKeys: false, closeOnTime: true })
    expect(parseCliArgs(['--out-dir', 'o', '--no-close-on-time'], {})).to.include({ stableKeys: false, closeOnTime: false })
    expect(parseCliArgs(['--out-dir', 'o', '--stable-keys'], {})).to.include({ stableKeys: true, closeOnTime: false })
  })

  it('falls back to the standard AWS_* variables', () => {
    const env = {
      AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: SECRET, AWS_SESSION_TOKEN: 'envtoken',
      AWS_DEFAULT_REGION: 'us-west-2', AWS_ENDPOINT_URL: 'http://generic:1'
    }
    expect(parseCliArgs(['--bucket', 'b'], env).connection()).to.deep.include({
      region: 'us-west-2', accessKeyId: 'AKIAENV', secretAccessKey: SECRET, sessionToken: 'envtoken', endpoint: 'http://generic:1'
    })
    // The S3-specific and the primary variables win over the generic ones.
    const more = { ...env, AWS_REGION: 'eu-central-1', AWS_ENDPOINT_URL_S3: 'http://s3:2' }
    expect(parseCliArgs(['--bucket', 'b'], more).connection()).to.deep.include({ region: 'eu-central-1', endpoint: 'http://s3:2' })
    // Flags win over variables; empty variables count as unset.
    expect(parseCliArgs(['--bucket', 'b', '--region', 'r', '--endpoint', 'http://flag:3'], { ...more, AWS_ACCESS_KEY_ID: '', AWS_SECRET_ACCESS_KEY: '' }).connection())
      .to.deep.include({ region: 'r', endpoint: 'http://flag:3', accessKeyId: undefined, secretAccessKey: undefined })
  })

  it('takes credentials whole from the flags or whole from the environment', () => {
    const env = { AWS_ACCESS_KEY_ID: 'AKIAENV', AWS_SECRET_ACCESS_KEY: 'envsecret', AWS_SESSION_TOKEN: 'envtoken', AWS_REGION: 'r' }
    const c = parseCliArgs(['--bucket', 'b', '--access-key-id', 'AKIAFLAG', '--secret-access-key', SECRET], env).connection()
    expect(c).to.deep.include({ accessKeyId: 'AKIAFLAG', secretAccessKey: SECRET, sessionToken: undefined })
  })

  it('names the missing variable when the environment holds half a key pair', () => {
    expect(usageError(['--bucket', 'b', '--region', 'r'], { AWS_SECRET_ACCESS_KEY: SECRET })).to.include({ code: 'ERR_INVALID_OPTION', option: 'AWS_ACCESS_KEY_ID' })
    expect(usageError(['--bucket', 'b', '--region', 'r'], { AWS_ACCESS_KEY_ID: 'AKIAENV' })).to.include({ option: 'AWS_SECRET_ACCESS_KEY' })
    expect(usageError(['--bucket', 'b', '--region', 'r'], { AWS_SECRET_ACCESS_KEY: SECRET }).message).not.to.include(SECRET)
  })

  it('never shows a secret when the options are printed', () => {
    const o = parseCliArgs(['--bucket', 'b', '--region', 'r', '--access-key-id', 'A', '--secret-access-key', SECRET, '--session-token', 'tok3n-secret'], {})
    const printed = inspect(o, { depth: 10 })
    expect(printed).not.to.include(SECRET)
    expect(printed).not.to.include('tok3n-secret')
  })

  it('needs no S3 options with --out-dir, and rejects them there', () => {
    const o = parseCliArgs(['--out-dir', 'out', '--per-record', '--prefix', 'p'], {})
    expect(o).to.deep.include({ outDir: 'out', perRecord: true, prefix: 'p' })
    expect(usageError(['--out-dir', 'out', '--bucket', 'b'])).to.include({ code: 'ERR_INVALID_OPTION', option: '--bucket' })
    expect(usageError(['--out-dir', 'out', '--secret-access-key', SECRET]).message).not.to.include(SECRET)
  })

  it('needs no destination for --help and --version', () => {
    expect(parseCliArgs(['--help'], {}).help).to.equal(true)
    expect(parseCliArgs(['-h'], {}).help).to.equal(true)
    expect(parseCliArgs(['--version'], {}).version).to.equal(true)
  })

  it('rejects unusable command lines, naming the flag', () => {
    const cases: Array<[string[], string]> = [
      [['--nope'], '--nope'],
      [['-x'], '-x'],
      [['--region', 'r'], '--bucket'],
      [['--bucket', 'b'], '--region'],
      [['--bucket', 'b', '--region', 'r', '--window-ms', '1.5'], '--window-ms'],
      [['--bucket', 'b', '--region', 'r', '--max-records', '-3'], '--max-records'],
      [['--bucket', 'b', '--region', 'r', '--max-bytes', '12 parsecs'], '--max-bytes'],
      [['--bucket', 'b', '--region', 'r', '--part-size', 'MiB'], '--part-size'],
      [['--bucket', 'b', '--region', 'r', '--gzip-level', '1', '--no-gzip'], '--gzip-level'],
      [['--bucket', 'b', '--bucket-name', 'c', '--region', 'r'], '--bucket-name'],
      [['--bucket', '', '--region', 'r'], '--bucket'],
      [['--out-dir', 'o', '--per-record', '--window-ms', '5'], '--window-ms'],
      [['--out-dir', 'o', '--per-record', '--stable-keys'], '--stable-keys'],
      [['--out-dir', 'o', '--apis-to-send', 'a,,b'], '--apis-to-send'],
      [['--out-dir', 'o', '--force-path-style=yes'], '--force-path-style'],
      [['--out-dir'], '--out-dir'],
      [['--out-dir', 'o', '--shutdown-timeout', '0'], '--shutdown-timeout'],
      [['--out-dir', 'o', '--shutdown-timeout', '2147483648'], '--shutdown-timeout'],
      [['--out-dir', 'o', '--shutdown-timeout', '1s'], '--shutdown-timeout']
    ]
    for (const [argv, option] of cases) {
      expect(usageError(argv), argv.join(' ')).to.include({ code: 'ERR_INVALID_OPTION', option })
    }
  })

  it('never repeats the value of a flag in its error', () => {
    const err = usageError(['--bucket', 'b', '--region', 'r', '--secret-access-key'])
    expect(err.option).to.equal('--secret-access-key')
    const dash = usageError(['--bucket', 'b', '--region', 'r', '--secret-access-key', `-${SECRET}`])
    expect(dash.message).not.to.include(SECRET)
    const typo = usageError(['--bucket', 'b', `--secret-acces-key=${SECRET}`])
    expect(typo.option).to.equal('--secret-acces-key')
    expect(typo.message).not.to.include(SECRET)
  })
})

describe('redactor()', () => {
  it('masks the values of the secret flags and variables', () => {
    const redact = redactor(['--secret-access-key', SECRET, '--session-token=tok3n-secret'], { AWS_SESSION_TOKEN: 'envtoken' })
    expect(redact(`a ${SECRET} b tok3n-secret c envtoken`)).to.equal('a *** b *** c ***')
    // The key id too: the README's Secrets section covers the whole key pair and the token.
    const flags = redactor(['--access-key-id', 'AKIAFLAG123', '--secret-access-key=flag-secret', '--session-token', 'flag-token'], {})
    expect(flags('AKIAFLAG123 flag-secret flag-token')).to.equal('*** *** ***')
    expect(redactor(['--access-key-id=AKIAFLAG456'], {})('key AKIAFLAG456')).to.equal('key ***')
    const env = { AWS_ACCESS_KEY_ID: 'AKIAENV789', AWS_SECRET_ACCESS_KEY: 'env-secret', AWS_SESSION_TOKEN: 'env-token' }
    expect(redactor([], env)('AKIAENV789 env-secret env-token')).to.equal('*** *** ***')
    // Values too short to be secrets are left alone, so messages stay readable.
    expect(redactor(['--secret-access-key', 'a'], {})('a bad day')).to.equal('a bad day')
  })

  it('masks the credentials of a --source URL: a password as written and decoded, a NATS token', () => {
    const redis = redactor(['--source', 'redis://:p%40ss-w0rd@10.0.0.5:6380/runs', '--group', 'g'], {})
    expect(redis('auth failed for p@ss-w0rd (p%40ss-w0rd)')).to.equal('auth failed for *** (***)')
    const nats = redactor(['--source=nats://worker:n4ts-secret@h:4222/RUNS'], {})
    expect(nats('worker n4ts-secret')).to.equal('worker ***')
    expect(redactor(['--source', 'nats://t0ken-abc@h:4222/RUNS'], {})('token t0ken-abc')).to.equal('token ***')
    expect(redactor(['--source', 'not a url'], {})('not a url')).to.equal('not a url')
  })
})

describe('parseCliArgs() --store', () => {
  it('passes the store to the connection; a profile with a region makes --region optional', () => {
    const options = parseCliArgs(['--bucket', 'b', '--store', 'r2', '--endpoint', 'https://acct.r2.cloudflarestorage.com'], {})
    expect(options.connection().store).to.equal('r2')
    expect(() => parseCliArgs(['--bucket', 'b', '--store', 'b2', '--endpoint', 'https://s3.us-west-004.backblazeb2.com'], {}))
      .to.throw().with.property('option', '--region')
  })

  it('refuses an unknown store and --store with --out-dir', () => {
    expect(() => parseCliArgs(['--bucket', 'b', '--region', 'r', '--store', 'azure'], {})).to.throw().with.property('option', '--store')
    expect(() => parseCliArgs(['--out-dir', 'o', '--store', 'r2'], {})).to.throw().with.property('option', '--store')
  })
})
