import type { S3Client } from '@aws-sdk/client-s3'
import { InvalidOptionError } from '../errors.js'
import type { S3ConnectionOptions } from './s3-client.js'
import { tryUploadClient } from './try-upload-client.js'
import { validateKnownKeys } from './validate.js'

/**
 * Collects the problems of a factory's options instead of stopping at the
 * first, so one `InvalidOptionError` names them all (`issues`) and a caller
 * fixes them in one round. The checks are the usual validate helpers: each
 * runs through {@link OptionProblems.check}, and one problem per option is kept.
 *
 * @example
 * ```ts
 * const problems = new OptionProblems()
 * problems.unknownKeys(options, 'options', KNOWN)
 * const partSize = problems.check(() => validateInteger(options.partSize, 'options.partSize', MIN, MAX))
 * problems.throwIfAny()
 * ```
 */
export class OptionProblems {
  readonly #found: InvalidOptionError[] = []

  /** Runs `check`; an `InvalidOptionError` is kept and gives `undefined`, anything else is thrown on. */
  check<T> (check: () => T): T | undefined {
    try {
      return check()
    } catch (err) {
      if (!(err instanceof InvalidOptionError)) throw err
      this.#keep(err)
      return undefined
    }
  }

  /** Keeps a problem found without a validate helper (a rule between two options). */
  add (option: string, message: string): void {
    this.#keep(new InvalidOptionError(option, message))
  }

  /** Every key `value` has that is not `known`, each with its nearest known name as a hint. */
  unknownKeys (value: object, name: string, known: readonly string[]): void {
    for (const key of Object.keys(value)) this.check(() => { validateKnownKeys({ [key]: true }, name, known) })
  }

  /**
   * The upload client of `options`' connection fields, or `undefined` with
   * every bad field kept (see `tryUploadClient()`). Kept only when nothing
   * else was wrong: a client holds sockets.
   */
  connect (options: S3ConnectionOptions, name: string, fields: readonly string[]): S3Client | undefined {
    const client = tryUploadClient(options as Record<string, unknown>, name, fields, (err) => { this.#keep(err) })
    if (client === undefined || this.#found.length === 0) return client
    client.destroy()
    return undefined
  }

  /** Throws every problem kept, as one `InvalidOptionError` (the first one's `option`, all of them in `issues`). */
  throwIfAny (): void {
    const [first, ...more] = this.#found
    if (first === undefined) return
    if (more.length === 0) throw first
    throw new InvalidOptionError(first.option, first.issues[0]?.message ?? first.message, more.flatMap((e) => e.issues))
  }

  #keep (err: InvalidOptionError): void {
    if (!this.#found.some((e) => e.option === err.option)) this.#found.push(err)
  }
}
