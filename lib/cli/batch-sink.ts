import type { Writable } from 'node:stream'
import type { S3Client } from '@aws-sdk/client-s3'
import type { Clock } from '../clock.js'
import type { ManifestOptions } from '../sinks/manifest-options.js'
import { s3Writable } from '../sinks/s3-writable.js'
import type { CliOptions } from './cli-options.js'
import { asFlags } from './flag-errors.js'
import { outDirWritable } from './out-dir.js'

/**
 * `s3Writable()`, or the files under --out-dir: the sink of batched and routed deliveries.
 *
 * @example
 * ```ts
 * const sink = batchSink(options, client, systemClock)
 * await pipeline(input, filter, ...batchStages(options, systemClock, progress), sink)
 * ```
 */
export function batchSink (options: CliOptions, client: S3Client | undefined, clock: Clock): Writable {
  if (options.outDir !== undefined) {
    const dir = options.outDir
    return asFlags(() => outDirWritable({ dir, concurrency: options.concurrency }))
  }
  return asFlags(() => s3Writable({
    bucket: options.bucket,
    client,
    partSize: options.partSize,
    queueSize: options.queueSize,
    concurrency: options.concurrency,
    abortTimeout: options.abortTimeout,
    encodingHeader: options.encodingHeader,
    retryFor: options.retryFor,
    ifNoneMatch: options.ifNoneMatch,
    params: options.params,
    clock,
    prefix: options.prefix,
    ...(options.manifests ? { manifests: manifestsOf(options) } : {})
  }), { 'options.manifests.keyTemplate': '--manifest-template', 'options.manifests.timeZone': '--time-zone' })
}

/** `--manifests`: `--manifest-template` names them and `--time-zone` dates them, as it dates the objects. */
function manifestsOf (options: CliOptions): true | ManifestOptions {
  const { manifestTemplate, timeZone } = options
  if (manifestTemplate === undefined && timeZone === undefined) return true
  return { ...(manifestTemplate === undefined ? {} : { keyTemplate: manifestTemplate }), ...(timeZone === undefined ? {} : { timeZone }) }
}
