import { pipeline as pipelineCb, Transform, type Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Batch } from '../lib/batch.js'
import type { S3Client } from '@aws-sdk/client-s3'
import { compress, filterApis, minuteWindow, s3Writable, type Compression, type ObjectWritten } from '../lib/index.js'
import type { Work } from './measure.js'

/** Tuning passed through to the stages; empty = every default. */
export interface OursOptions {
  level?: number
  maxBytes?: number
  /** gzip threads (1: one zlib stream); default: gzip()'s own. */
  threads?: number
  /** 'zstd' or 'none' instead of gzip. */
  compression?: Compression
  /** minuteWindow()'s body chunk size; default: its own. */
  chunkSize?: number
}

/**
 * The canonical batched pipeline, `filterApis → minuteWindow → gzip →
 * s3Writable`, with default options except the gzip level (and `maxBytes`
 * when given), into `client`.
 *
 * @example
 * ```ts
 * const { client } = discardClient()
 * await ours(feedStream(pool, 200_000), client, 'bench', { level: 6 })
 * ```
 */
export async function ours (source: Readable, client: S3Client, bucket: string, options: OursOptions = {}): Promise<Work & { objects: number }> {
  const window = minuteWindow({ ...(options.maxBytes === undefined ? {} : { maxBytes: options.maxBytes }), ...(options.chunkSize === undefined ? {} : { chunkSize: options.chunkSize }) })
  const { level, threads, compression } = options
  const zip = compress({ ...(compression === undefined ? {} : { compression }), ...(level === undefined ? {} : { level }), ...(threads === undefined ? {} : { threads }) })
  return await into(source, window, zip, client, bucket)
}

/** `source → filterApis → window → encode → s3Writable` into `client`, counting what S3 confirmed. */
async function into (source: Readable, window: Transform, encode: Transform, client: S3Client, bucket: string): Promise<Work & { objects: number }> {
  const sink = s3Writable({ bucket, client, prefix: 'ours' })
  let records = 0
  let outBytes = 0
  let objects = 0
  sink.on('object', (written: ObjectWritten) => {
    records += written.records
    outBytes += written.bytes
    objects++
  })
  await pipeline(source, filterApis(), window, encode, sink)
  // Uncompressed size is the caller's to know (it made the feed); 0 here.
  return { records, bytes: 0, outBytes, objects }
}

/**
 * {@link ours} with an encoder of the caller's per batch body (gzip unless said) instead of
 * `compress()`'s: to compare encoders (e.g. parallel gzip on zlib's pool and
 * on worker threads) in the same pipeline and process.
 *
 * @example
 * ```ts
 * await oursWithEncoder(feedStream(pool, 200_000), discardClient().client, 'bench', () => new ParallelGzip({ level: 6, blockSize: 1 << 20, blocksInFlight: 2 }))
 * ```
 */
export async function oursWithEncoder (source: Readable, client: S3Client, bucket: string, encoder: () => Transform, contentEncoding: 'gzip' | 'zstd' = 'gzip'): Promise<Work & { objects: number }> {
  const encode = new Transform({
    objectMode: true,
    transform (batch: Batch, _e, cb) {
      const body = encoder()
      pipelineCb(batch.body, body, (err) => { if (err !== undefined && err !== null) encode.destroy(err) })
      cb(null, { ...batch, body, contentEncoding })
    }
  })
  return await into(source, minuteWindow(), encode, client, bucket)
}
