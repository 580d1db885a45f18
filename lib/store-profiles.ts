/**
 * What each S3-compatible store needs from the client, so `store: 'r2'` is
 * all a user has to know. Each fact names where it comes from; `s3-sink
 * doctor` checks them against a live bucket.
 *
 * @packageDocumentation
 */

import { InvalidOptionError } from './errors.js'
import { validateOneOf } from './internal/validate.js'

/**
 * The stores with a profile; `'custom'` is the cautious one for any other S3 API.
 *
 * @example
 * ```ts
 * const store: StoreName = 'minio'
 * const sink = s3Writable({ bucket: 'logs', endpoint: 'http://127.0.0.1:9000', store })
 * ```
 */
export type StoreName = 'aws' | 'r2' | 'minio' | 'gcs' | 'b2' | 'ceph' | 'custom'

/**
 * The SDK's request checksum modes (client-s3 >= 3.729.0 defaults to `WHEN_SUPPORTED`).
 *
 * @example
 * ```ts
 * const mode: ChecksumMode = STORE_PROFILES.r2.requestChecksumCalculation // 'WHEN_REQUIRED'
 * ```
 */
export type ChecksumMode = 'WHEN_SUPPORTED' | 'WHEN_REQUIRED'

/**
 * What a store needs.
 *
 * @example
 * ```ts
 * const profile: StoreProfile = STORE_PROFILES.gcs
 * if (!profile.conditionalWrites) console.warn('ifNoneMatch is not enforced by', profile.store)
 * ```
 */
export interface StoreProfile {
  readonly store: StoreName
  /** Path-style URLs (`endpoint/bucket/key`) unless the caller sets `forcePathStyle`. */
  readonly forcePathStyle: boolean
  /** Region used when the caller gives none (`auto` for R2 and GCS); `undefined`: the SDK's chain. */
  readonly region: string | undefined
  /** Whether the caller must give `endpoint`. */
  readonly needsEndpoint: boolean
  /**
   * `WHEN_SUPPORTED` sends a CRC32 with every upload request; stores that do
   * not know the `x-amz-checksum-*` headers refuse it, so they get
   * `WHEN_REQUIRED` (what the SDK did before 3.729.0).
   */
  readonly requestChecksumCalculation: ChecksumMode
  readonly responseChecksumValidation: ChecksumMode
  /** PutObject honours `If-None-Match: *` (412 when the key exists), so a writer can refuse to overwrite. */
  readonly conditionalWrites: boolean
  /** Smallest part of a multipart upload but the last, in bytes. */
  readonly minPartSize: number
  /** Where these facts come from. */
  readonly sources: readonly string[]
}

const MiB = 1024 * 1024
const SDK_CHANGE = 'aws-sdk-js-v3 v3.729.0 default integrity change: github.com/aws/aws-sdk-js-v3/issues/6810'

/** One row of `STORE_ROWS`: the facts of a store, in the order of the README's table. */
type StoreRow = readonly [store: StoreName, pathStyle: boolean, region: string | undefined, checksums: ChecksumMode, conditionalWrites: boolean, minPartMiB: number]

/**
 * The facts, one row per store; the source of each column is in
 * `SOURCES`, in the same order. Only `aws` needs no endpoint. None of
 * these could be checked against a live server where this was written (no
 * MinIO, GCS, R2, B2 or Ceph): they are the vendors' documents, and
 * `s3-sink doctor` checks them against your bucket.
 */
const STORE_ROWS: readonly StoreRow[] = [
  //  store     path style  region       request/response checksums  conditional writes  min part (MiB)
  ['aws', false, undefined, 'WHEN_SUPPORTED', true, 5],
  ['r2', false, 'auto', 'WHEN_REQUIRED', true, 5],
  ['minio', true, 'us-east-1', 'WHEN_REQUIRED', true, 5],
  ['gcs', true, 'auto', 'WHEN_REQUIRED', false, 5],
  ['b2', false, undefined, 'WHEN_REQUIRED', false, 5],
  ['ceph', true, 'us-east-1', 'WHEN_REQUIRED', false, 5],
  ['custom', true, 'us-east-1', 'WHEN_REQUIRED', false, 5]
]

/** Where each row's facts come from: path style and region, checksums, conditional writes, part size. */
const SOURCES: Readonly<Record<StoreName, readonly string[]>> = {
  aws: [
    'Virtual-hosted style by default; path style is deprecated for new buckets: docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html',
    SDK_CHANGE,
    'Conditional writes (If-None-Match on PutObject and CompleteMultipartUpload, August 2024): docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html',
    'Part size 5 MiB to 5 GiB, last part smaller, 10,000 parts: docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html'
  ],
  r2: [
    'Region "auto", endpoint https://<account>.r2.cloudflarestorage.com: developers.cloudflare.com/r2/api/s3/api/',
    `R2 answered 501 NotImplemented to x-amz-checksum-crc32 after the SDK change (comments on ${SDK_CHANGE})`,
    'PutObject supports If-None-Match / If-Match: developers.cloudflare.com/r2/api/s3/api/ (PutObject conditional headers)',
    'Parts 5 MiB to 5 GiB, all but the last of equal size: developers.cloudflare.com/r2/platform/limits/'
  ],
  minio: [
    'Path style and region us-east-1 by default: min.io/docs/minio/linux/developers/javascript/minio-javascript.html (and MINIO_REGION)',
    `Releases before 2022 reject the x-amz-checksum-* headers; WHEN_REQUIRED works with every release (${SDK_CHANGE})`,
    'If-None-Match on PutObject in 2024 releases (min.io/docs, PutObject); older servers ignore it: run the doctor',
    'Part size 5 MiB minimum: min.io/docs/minio/linux/operations/concepts/thresholds.html'
  ],
  gcs: [
    'XML API interoperability, endpoint https://storage.googleapis.com, HMAC keys, region "auto": cloud.google.com/storage/docs/interoperability',
    `The XML API does not take the x-amz-checksum-* headers (${SDK_CHANGE})`,
    'Preconditions use x-goog-if-generation-match, not If-None-Match: cloud.google.com/storage/docs/request-preconditions',
    'XML API multipart uploads, parts 5 MiB minimum: cloud.google.com/storage/docs/multipart-uploads'
  ],
  b2: [
    'Endpoint https://s3.<region>.backblazeb2.com, region from the endpoint (e.g. us-west-004): backblaze.com/docs/cloud-storage-s3-compatible-api',
    'x-amz-checksum-crc32 / -algorithm / -mode listed as unsupported: backblaze.com/docs/cloud-storage-s3-compatible-api',
    'Conditional PutObject (If-None-Match) not listed among supported headers: backblaze.com/docs/cloud-storage-s3-compatible-api',
    'Part size 5 MB minimum: backblaze.com/docs/cloud-storage-large-files'
  ],
  ceph: [
    'RGW serves path style unless rgw_dns_name is set: docs.ceph.com/en/latest/radosgw/s3/commons/',
    `Releases before the SDK change reject or ignore the x-amz-checksum-* headers (${SDK_CHANGE}); the doctor tells for yours`,
    'If-None-Match on PutObject is not in the RGW S3 feature table: docs.ceph.com/en/latest/radosgw/s3/ (not relied on)',
    'rgw_multipart_min_part_size defaults to 5 MiB: docs.ceph.com/en/latest/radosgw/config-ref/'
  ],
  custom: ['The cautious choice for any other S3 API: what almost every store accepts. Run `s3-sink doctor` to see more.']
}

/**
 * One profile per store, from `STORE_ROWS`. Defaults stay AWS's: an
 * entry point without `store` behaves as `store: 'aws'`.
 *
 * @example
 * ```ts
 * STORE_PROFILES.r2.region // 'auto'
 * s3Writable({ store: 'r2', endpoint: `https://${accountId}.r2.cloudflarestorage.com`, bucket: 'logs', accessKeyId, secretAccessKey })
 * ```
 */
export const STORE_PROFILES: Readonly<Record<StoreName, StoreProfile>> = Object.freeze(Object.fromEntries(STORE_ROWS.map(
  ([store, forcePathStyle, region, checksums, conditionalWrites, minPartMiB]) => [store, Object.freeze({
    store,
    forcePathStyle,
    region,
    needsEndpoint: store !== 'aws',
    requestChecksumCalculation: checksums,
    responseChecksumValidation: checksums,
    conditionalWrites,
    minPartSize: minPartMiB * MiB,
    sources: Object.freeze([...SOURCES[store]])
  } satisfies StoreProfile)]
)) as Record<StoreName, StoreProfile>)

/**
 * Every store name, for validation and usage text.
 *
 * @example
 * ```ts
 * const flag = process.argv[2] ?? ''
 * if (!STORE_NAMES.includes(flag as StoreName)) throw new Error(`--store must be one of ${STORE_NAMES.join(', ')}`)
 * ```
 */
export const STORE_NAMES = Object.freeze(Object.keys(STORE_PROFILES) as StoreName[])

/** The client settings a store's profile adds to what the caller gave. */
export interface ProfileClientSettings {
  region?: string
  forcePathStyle?: boolean
  requestChecksumCalculation?: ChecksumMode
  responseChecksumValidation?: ChecksumMode
}

/**
 * Settings for the S3 client of `store`: the caller's `region` and
 * `forcePathStyle` win over the profile's. For `aws` (and no store) nothing
 * is set, so the SDK's own defaults and `AWS_*` variables apply as before.
 * Throws `ERR_INVALID_OPTION` for an unknown store or a missing endpoint.
 */
export function storeClientSettings (
  given: { store?: unknown, region?: string, forcePathStyle?: boolean, endpoint?: string },
  name: string
): ProfileClientSettings {
  const store = validateOneOf(given.store, `${name}.store`, STORE_NAMES) ?? 'aws'
  const p = STORE_PROFILES[store]
  if (store === 'aws') return {}
  if (p.needsEndpoint && given.endpoint === undefined) {
    throw new InvalidOptionError(`${name}.endpoint`, `is required with store "${store}" (the store's S3 API URL)`)
  }
  const out: ProfileClientSettings = {
    forcePathStyle: given.forcePathStyle ?? p.forcePathStyle,
    requestChecksumCalculation: p.requestChecksumCalculation,
    responseChecksumValidation: p.responseChecksumValidation
  }
  const region = given.region ?? p.region
  if (region !== undefined) out.region = region
  return out
}
