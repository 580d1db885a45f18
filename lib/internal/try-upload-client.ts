import type { S3Client } from '@aws-sdk/client-s3'
import { InvalidOptionError } from '../errors.js'
import { createUploadClient } from './s3-client.js'

const KEY_PAIR = ['accessKeyId', 'secretAccessKey', 'sessionToken']

/**
 * The upload client of the connection fields `given` holds (those listed in
 * `fields`), or `undefined`. The client factory stops at the first bad
 * field; asking again without each field it refuses reports every one of
 * them to `refused` without restating its rules here.
 *
 * @example
 * ```ts
 * const client = tryUploadClient(options, 'options', CONNECTION_FIELDS, (err) => problems.push(err))
 * ```
 */
export function tryUploadClient (given: Readonly<Record<string, unknown>>, name: string, fields: readonly string[], refused: (err: InvalidOptionError) => void): S3Client | undefined {
  const trial: Record<string, unknown> = {}
  for (const field of fields) if (given[field] !== undefined) trial[field] = given[field]
  for (;;) {
    try {
      return createUploadClient(trial, name)
    } catch (err) {
      if (!(err instanceof InvalidOptionError)) throw err
      refused(err)
      const before = Object.keys(trial).length
      const field = err.option.slice(name.length + 1)
      // The key-pair rule may name the absent half: drop the pair instead.
      if (field in trial) delete trial[field]
      else for (const half of KEY_PAIR) delete trial[half]
      if (Object.keys(trial).length === before) return undefined
    }
  }
}
