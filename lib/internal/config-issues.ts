import { InvalidOptionError, type ConfigIssue } from '../errors.js'

const SECRETS = new Set(['accessKeyId', 'secretAccessKey', 'sessionToken'])
const NUMBERS = new Set(['concurrency', 'maxAttempts', 'requestTimeout', 'socketTimeout', 'connectionTimeout', 'retryFor', 'windowMs', 'maxBytes', 'maxRecords',
  'chunkSize', 'level', 'threads', 'allowedLatenessMs', 'idleTimeoutMs', 'maxOpenPartitions'])
const BOOLEANS = new Set(['skipOnFail', 'forcePathStyle', 'encodingHeader', 'ifNoneMatch', 'stableKeys', 'closeOnTime'])

/** The problems of a sink config, collected instead of stopping at the first one (see `resolveSinkConfig()`). */
export class Issues {
  readonly list: ConfigIssue[] = []

  add (path: string, problem: ConfigIssue['problem'], message: string): void {
    if (this.list.some((issue) => issue.path === path)) return
    // A wrong secret is reported by name only: the helpers print numbers and booleans (a missing one has no value to print).
    this.list.push({ path, problem, message: SECRETS.has(path) && problem !== 'missing' ? 'must be a non-empty string' : message })
  }

  /**
   * Runs validate helpers (or a factory that uses them); an
   * `InvalidOptionError` becomes an issue at the option it names, under
   * `under` when a stage named it (`options.level` → `batched.level`).
   */
  check<T> (value: unknown, run: () => T, problem = problemOf, under = ''): T | undefined {
    try {
      return run()
    } catch (err) {
      if (!(err instanceof InvalidOptionError)) throw err
      this.addError(err, value, problem, under)
      return undefined
    }
  }

  /** An `InvalidOptionError` as an issue at the option it names (see {@link Issues.check}). */
  addError (err: InvalidOptionError, value: unknown, problem = problemOf, under = ''): void {
    const path = under + err.option.replace(/^(config|options)\./, '')
    this.add(path, problem(path, value), err.message.slice(err.option.length + 1))
  }
}

/** Right type but unusable value → `invalid`; anything else → `type`. */
export function problemOf (path: string, value: unknown): ConfigIssue['problem'] {
  const field = path.replace(/^.*\./, '').replace(/\[\d+\]$/, '')
  const expected = NUMBERS.has(field) ? 'number' : BOOLEANS.has(field) ? 'boolean' : field === 'clock' ? 'object' : 'string'
  return typeof value === expected && value !== null ? 'invalid' : 'type'
}
