import { Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { PutObjectCommandInput, PutObjectCommandOutput } from '@aws-sdk/client-s3'
import { S3StreamLogger, type S3StreamLoggerOptions } from 's3-streamlogger'
import { feedBytes, feedStream } from '../feed.js'
import type { RunRecord } from '../records.js'
import type { Work } from '../measure.js'

/** Where s3-streamlogger writes: an S3-compatible endpoint and bucket. */
export interface StreamLoggerTarget {
  endpoint: string
  bucket: string
  accessKeyId: string
  secretAccessKey: string
}

/**
 * `s3-streamlogger` with its defaults and `compress: true`: one
 * `JSON.stringify(record) + '\n'` write per record. With its defaults it
 * gzips and re-uploads the whole growing object every 10 kB (objects rotate
 * at 200 kB), with no limit on PUTs in flight. Its `_final` waits only for
 * the last PUT, so the run here also waits for every PUT it started.
 *
 * @example
 * ```ts
 * const { records, outBytes } = await streamLogger(pool, 20_000, target)
 * ```
 */
export async function streamLogger (pool: readonly RunRecord[], count: number, target: StreamLoggerTarget): Promise<Work & { puts: number }> {
  const options: S3StreamLoggerOptions = {
    bucket: target.bucket,
    folder: 'streamlogger',
    compress: true,
    // Its typings list only a few S3Client fields; the object goes to `new S3Client()` as is.
    config: {
      region: 'us-east-1',
      endpoint: target.endpoint,
      forcePathStyle: true,
      credentials: { accessKeyId: target.accessKeyId, secretAccessKey: target.secretAccessKey }
    } as S3StreamLoggerOptions['config']
  }
  const logger = new S3StreamLogger(options)
  const inflight = new Set<Promise<void>>()
  const errors: unknown[] = []
  let puts = 0
  let outBytes = 0
  const put = logger.putObject.bind(logger)
  logger.putObject = (param: PutObjectCommandInput, callback: (err: Error | null, data?: PutObjectCommandOutput) => void): void => {
    puts++
    outBytes += (param.Body as Buffer).length
    const done = new Promise<void>((resolve) => {
      put(param, (err, data) => {
        resolve()
        callback(err, data)
      })
    })
    inflight.add(done)
    void done.then(() => inflight.delete(done))
  }
  // Late PUT failures arrive as 'error' after pipeline() resolved.
  logger.on('error', (err) => { errors.push(err) })
  const lines = new Transform({
    writableObjectMode: true,
    transform (record: unknown, _encoding, cb) { cb(null, JSON.stringify(record) + '\n') }
  })
  await pipeline(feedStream(pool, count), lines, logger)
  while (inflight.size > 0) await Promise.all([...inflight])
  if (errors.length > 0) throw errors[0]
  return { records: count, bytes: feedBytes(pool, count), outBytes, puts }
}
