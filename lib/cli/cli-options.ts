import type { Compression } from '../internal/compression.js'
import type { S3ConnectionOptions } from '../internal/s3-client.js'
import type { UploadParams } from '../sinks/upload-params.js'
import type { LogSourceCli } from './log-source-args.js'
import type { CliRoute } from './route-args.js'
import type { StageFlags } from './stage-args.js'

/** What the command line asks for, typed; ranges are checked by the stages themselves. */
export interface CliOptions extends StageFlags {
  help: boolean
  version: boolean
  /** Input files; empty or `-` means standard input. */
  files: string[]
  /** Write files under this directory instead of S3. */
  outDir?: string
  /** One `.json` object per Run instead of batches. */
  perRecord: boolean
  bucket?: string
  prefix?: string
  apisToSend?: string[]
  skipOnFail: boolean
  /** From --compression (or --no-gzip); default gzip. */
  compression: Compression
  /** From --compression-level (or its gzip alias --gzip-level). */
  level?: number
  /** From --gzip-threads. */
  threads?: number
  /** `false` with --no-content-encoding. */
  encodingHeader: boolean
  windowMs?: number
  maxBytes?: number
  maxRecords?: number
  /** Close batches on the window's timer (`--no-close-on-time` turns it off; `--stable-keys` implies that). */
  closeOnTime: boolean
  /** Keys made of the batch's first source position (a file's `name:line` when the source gives none). */
  stableKeys: boolean
  /** `--key-template`: checked by the stages, where it is parsed once. */
  keyTemplate?: string
  timeZone?: string
  /** `--time-field PATH`: windows by the event time in that field. */
  timeField?: string
  allowedLatenessMs?: number
  maxOpenPartitions?: number
  manifests: boolean
  /** `--manifest-template`: manifest keys; checked by the sink, where it is parsed once. */
  manifestTemplate?: string
  concurrency?: number
  partSize?: number
  queueSize?: number
  abortTimeout?: number
  /** How long a failing request is retried, in ms from its first failure. */
  retryFor?: number
  /** Conditional writes: `If-None-Match: *`. */
  ifNoneMatch: boolean
  /** `--storage-class`, `--sse`, `--tag`, ...: the params of every object. */
  params?: UploadParams
  /** A line that is not a JSON object: fail (default), skip it, or dead-letter it (batches only). */
  onInvalid: 'error' | 'skip' | 'dead-letter'
  /** After SIGTERM or SIGINT, how long delivering what was read may take, in ms. */
  shutdownTimeout?: number
  /**
   * The S3 connection, flags over `AWS_*` variables. A function, so that
   * printing the options (`util.inspect`) never shows a secret.
   */
  connection: () => S3ConnectionOptions
  /** Read from a log's consumer group (`--source`) instead of files. */
  logSource?: LogSourceCli
  /** `--route`, repeated: each record to the first route that takes it. */
  routes?: CliRoute[]
}
