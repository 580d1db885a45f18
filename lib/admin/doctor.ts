import { createHash, randomBytes } from 'node:crypto'
import {
  AbortMultipartUploadCommand, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, DeleteObjectCommand,
  GetObjectCommand, HeadBucketCommand, HeadObjectCommand, ListMultipartUploadsCommand, PutObjectCommand,
  UploadPartCommand, type S3Client
} from '@aws-sdk/client-s3'
import { describe as describeError, InvalidOptionError } from '../errors.js'
import { normalizePrefix } from '../internal/object-key.js'
import { createS3Client, type S3ConnectionOptions } from '../internal/s3-client.js'
import { validateKnownKeys, validateObject, validateOneOf, validateBucket } from '../internal/validate.js'
import { STORE_NAMES, STORE_PROFILES, type ChecksumMode, type StoreName } from '../store-profiles.js'
import type { DoctorProbe, DoctorReport } from './doctor-report.js'

/**
 * Options of {@link doctor}: the sink's connection fields and its bucket.
 *
 * @example
 * ```ts
 * const options: DoctorOptions = { bucket: 'logs', endpoint: 'http://127.0.0.1:9000', store: 'minio', accessKeyId, secretAccessKey }
 * const report = await doctor(options)
 * ```
 */
export interface DoctorOptions extends S3ConnectionOptions {
  bucket: string
  /** Probe objects go under `[prefix]_s3-sink-doctor/<random>/`. Default: none. */
  prefix?: string
}

const PROBES = ['HeadBucket', 'PutObject with checksum headers', 'PutObject without checksum headers', 'Multipart upload, 2 parts',
  'Conditional PutObject (If-None-Match: *)', 'ListMultipartUploads', 'AbortMultipartUpload', 'Cleanup'] as const
const PART = 5 * 1024 * 1024

/**
 * Probes a bucket the way the sink will use it, then removes what it wrote:
 * HeadBucket, a small PutObject with and without checksum headers (read back
 * byte for byte), a 2-part multipart upload, a conditional PutObject,
 * ListMultipartUploads and AbortMultipartUpload. Never throws for what the
 * store lacks: each probe reports `ok`, `ignored`, `failed` or `skipped`.
 * `problems` lists what the chosen `store` profile would trip over.
 *
 * @example
 * ```ts
 * const report = await doctor({ bucket: 'logs', endpoint: 'http://127.0.0.1:9000', store: 'minio', accessKeyId, secretAccessKey })
 * if (report.problems.length > 0) console.error(report.problems.join('\n'), 'try store:', report.fits)
 * ```
 */
export async function doctor (options: DoctorOptions): Promise<DoctorReport> {
  validateObject(options, 'options')
  if (options === undefined) throw new InvalidOptionError('options', 'is required (at least a bucket)')
  validateKnownKeys(options as unknown as Record<string, unknown>, 'options', ['bucket', 'prefix', 'region', 'accessKeyId', 'secretAccessKey',
    'sessionToken', 'endpoint', 'forcePathStyle', 'maxAttempts', 'requestTimeout', 'socketTimeout', 'connectionTimeout', 'store'])
  const bucket = validateBucket(options.bucket, 'options.bucket')
  if (bucket === undefined) throw new InvalidOptionError('options.bucket', 'is required')
  const store = validateOneOf(options.store, 'options.store', STORE_NAMES) ?? 'aws'
  const base = `${normalizePrefix(options.prefix, 'options.prefix')}_s3-sink-doctor/${randomBytes(8).toString('hex')}/`
  const chosen = createS3Client(options, 'options')
  const withMode = (mode: ChecksumMode): S3Client => createS3Client(options, 'options', { requestChecksumCalculation: mode, responseChecksumValidation: 'WHEN_REQUIRED' })
  const clients = { WHEN_SUPPORTED: withMode('WHEN_SUPPORTED'), WHEN_REQUIRED: withMode('WHEN_REQUIRED') }
  const written: string[] = []
  const probes = new Map<string, DoctorProbe>(PROBES.map((name) => [name, { name, status: 'skipped', detail: 'not run' }]))
  const run = async (name: typeof PROBES[number], fn: () => Promise<Omit<DoctorProbe, 'name'>>): Promise<boolean> => {
    let result: Omit<DoctorProbe, 'name'>
    try {
      result = await fn()
    } catch (err) {
      result = { status: 'failed', detail: describeError(err) }
    }
    probes.set(name, { name, ...result })
    return result.status === 'ok'
  }
  try {
    if (await run('HeadBucket', async () => { await chosen.send(new HeadBucketCommand({ Bucket: bucket })); return ok('bucket reachable') })) {
      for (const [name, mode] of [['PutObject with checksum headers', 'WHEN_SUPPORTED'], ['PutObject without checksum headers', 'WHEN_REQUIRED']] as const) {
        await run(name, async () => {
          const Key = `${base}put-${mode.toLowerCase()}.txt`
          const body = randomBytes(1024)
          written.push(Key)
          await clients[mode].send(new PutObjectCommand({ Bucket: bucket, Key, Body: body }))
          const back = await clients.WHEN_REQUIRED.send(new GetObjectCommand({ Bucket: bucket, Key }))
          const got = Buffer.from(await back.Body!.transformToByteArray())
          return sha(got) === sha(body) ? ok(`${mode}: stored intact`) : { status: 'failed', detail: `${mode}: stored ${got.length} bytes that differ from the 1024 sent` }
        })
      }
      await run('Multipart upload, 2 parts', async () => multipart(chosen, bucket, `${base}multipart.bin`, written))
      await run('Conditional PutObject (If-None-Match: *)', async () => conditional(chosen, bucket, `${base}conditional.txt`, written))
      let uploadId: string | undefined
      const pendingKey = `${base}pending.bin`
      await run('ListMultipartUploads', async () => {
        uploadId = (await chosen.send(new CreateMultipartUploadCommand({ Bucket: bucket, Key: pendingKey }))).UploadId
        const list = await chosen.send(new ListMultipartUploadsCommand({ Bucket: bucket, Prefix: base }))
        return (list.Uploads ?? []).some((u) => u.UploadId === uploadId) ? ok('lists pending uploads') : { status: 'failed', detail: 'a pending upload was not listed' }
      })
      if (uploadId !== undefined) {
        await run('AbortMultipartUpload', async () => {
          await chosen.send(new AbortMultipartUploadCommand({ Bucket: bucket, Key: pendingKey, UploadId: uploadId }))
          return ok('removed a pending upload')
        })
      }
      await run('Cleanup', async () => cleanup(chosen, bucket, written))
    }
  } finally {
    for (const client of [chosen, clients.WHEN_SUPPORTED, clients.WHEN_REQUIRED]) client.destroy()
  }
  return judge(store, [...probes.values()])
}

function ok (detail: string): Omit<DoctorProbe, 'name'> {
  return { status: 'ok', detail }
}

function sha (body: Buffer): string {
  return createHash('sha256').update(body).digest('hex')
}

async function multipart (client: S3Client, Bucket: string, Key: string, written: string[]): Promise<Omit<DoctorProbe, 'name'>> {
  const { UploadId } = await client.send(new CreateMultipartUploadCommand({ Bucket, Key }))
  const parts = [randomBytes(PART), randomBytes(100)]
  try {
    const Parts = []
    for (const [i, Body] of parts.entries()) {
      const { ETag } = await client.send(new UploadPartCommand({ Bucket, Key, UploadId, PartNumber: i + 1, Body }))
      Parts.push({ ETag, PartNumber: i + 1 })
    }
    await client.send(new CompleteMultipartUploadCommand({ Bucket, Key, UploadId, MultipartUpload: { Parts } }))
  } catch (err) {
    await client.send(new AbortMultipartUploadCommand({ Bucket, Key, UploadId })).catch(() => {})
    throw err
  }
  written.push(Key)
  const head = await client.send(new HeadObjectCommand({ Bucket, Key }))
  const size = PART + 100
  return head.ContentLength === size ? ok(`${size} bytes in 2 parts`) : { status: 'failed', detail: `stored ${String(head.ContentLength)} bytes instead of ${size}` }
}

async function conditional (client: S3Client, Bucket: string, Key: string, written: string[]): Promise<Omit<DoctorProbe, 'name'>> {
  written.push(Key)
  await client.send(new PutObjectCommand({ Bucket, Key, Body: 'first' }))
  try {
    await client.send(new PutObjectCommand({ Bucket, Key, Body: 'second', IfNoneMatch: '*' }))
  } catch (err) {
    const status = (err as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode
    if (status === 412) return ok('refuses to overwrite (412)')
    throw err
  }
  return { status: 'ignored', detail: 'overwrote an existing key: If-None-Match is not enforced' }
}

async function cleanup (client: S3Client, Bucket: string, keys: string[]): Promise<Omit<DoctorProbe, 'name'>> {
  const left: string[] = []
  for (const Key of keys) await client.send(new DeleteObjectCommand({ Bucket, Key })).catch(() => { left.push(Key) })
  return left.length === 0 ? ok(`deleted ${keys.length} probe objects`) : { status: 'failed', detail: `could not delete ${left.join(', ')}` }
}

/** Which profiles the probes allow, and what the chosen one would trip over. */
function judge (store: StoreName, probes: DoctorProbe[]): DoctorReport {
  const status = (name: typeof PROBES[number]): DoctorProbe['status'] => probes.find((p) => p.name === name)!.status
  const putOk = {
    WHEN_SUPPORTED: status('PutObject with checksum headers') === 'ok',
    WHEN_REQUIRED: status('PutObject without checksum headers') === 'ok'
  }
  const reasons = (name: StoreName): string[] => {
    const p = STORE_PROFILES[name]
    const out: string[] = []
    if (status('HeadBucket') !== 'ok') out.push('the bucket cannot be reached (HeadBucket)')
    else {
      if (!putOk[p.requestChecksumCalculation]) out.push(`PutObject with request checksums ${p.requestChecksumCalculation} fails`)
      if (status('Multipart upload, 2 parts') !== 'ok') out.push('multipart uploads fail')
      if (p.conditionalWrites && status('Conditional PutObject (If-None-Match: *)') !== 'ok') out.push(`the "${name}" profile relies on conditional writes, which this store does not enforce`)
    }
    return out
  }
  const warnings: string[] = []
  if (status('AbortMultipartUpload') === 'failed') warnings.push('AbortMultipartUpload does not work: parts of a failed upload stay stored (the probe\'s own pending upload too); add a lifecycle rule')
  if (status('ListMultipartUploads') === 'failed') warnings.push('ListMultipartUploads does not work: abortIncompleteUploads() cannot clean up here')
  if (status('Cleanup') === 'failed') warnings.push('some probe objects could not be deleted (see Cleanup)')
  return { store, probes, fits: STORE_NAMES.filter((name) => reasons(name).length === 0), problems: reasons(store), warnings }
}
