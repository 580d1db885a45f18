/**
 * What each S3-compatible store needs from the client, so `store: 'r2'` is
 * all a user has to know. Each fact names where it comes from; `s3-sink
 * doctor` checks them against a live bucket.
 *
 * @packageDocumentation
 */

import { InvalidOptionError } from './errors.js'
import { validateOneOf } from './internal/validate.js'

/** The stores with a profile; `'custom'` is the cautious one for any other S3 API. */
export type StoreName = 'aws' | 'r2' | 'minio' | 'gcs' | 'b2' | 'ceph' | 'custom'

/** The SDK's request checksum modes (client-s3 >= 3.729.0 defaults to `WHEN_SUPPORTED`). */
export type ChecksumMode = 'WHEN_SUPPORTED' | 'WHEN_REQUIRED'

/** What a store needs. */
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

/**
 * One profile per store. Defaults stay AWS's: an entry point without `store`
 * behaves as `store: 'aws'`.
 *
 * @example
 * ```ts
 * STORE_PROFILES.r2.region // 'auto'
 * s3Writable({ store: 'r2', endpoint: `https://${accountId}.r2.cloudflarestorage.com`, bucket, accessKeyId, secretAccessKey })
 * ```
 */
export const STORE_PROFILES: Readonly<Record<StoreName, StoreProfile>> = Object.freeze({
  aws: profile({
    store: 'aws',
    forcePathStyle: false,
    region: undefined,
    needsEndpoint: false,
    requestChecksumCalculation: 'WHEN_SUPPORTED',
    responseChecksumValidation: 'WHEN_SUPPORTED',
    conditionalWrites: true,
    minPartSize: 5 * MiB,
    sources: [
      'Virtual-hosted style by default; path style is deprecated for new buckets: docs.aws.amazon.com/AmazonS3/latest/userguide/VirtualHosting.html',
      SDK_CHANGE,
      'Conditional writes (If-None-Match on PutObject and CompleteMultipartUpload, August 2024): docs.aws.amazon.com/AmazonS3/latest/userguide/conditional-writes.html',
      'Part size 5 MiB to 5 GiB, last part smaller, 10,000 parts: docs.aws.amazon.com/AmazonS3/latest/userguide/qfacts.html'
    ]
  }),
  r2: profile({
    store: 'r2',
    forcePathStyle: false,
    region: 'auto',
    needsEndpoint: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    conditionalWrites: true,
    minPartSize: 5 * MiB,
    sources: [
      'Region "auto", endpoint https://<account>.r2.cloudflarestorage.com: developers.cloudflare.com/r2/api/s3/api/',
      `R2 answered 501 NotImplemented to x-amz-checksum-crc32 after the SDK change (comments on ${SDK_CHANGE})`,
      'PutObject supports If-None-Match / If-Match: developers.cloudflare.com/r2/api/s3/api/ (PutObject conditional headers)',
      'Parts 5 MiB to 5 GiB, all but the last of equal size: developers.cloudflare.com/r2/platform/limits/'
    ]
  }),
  minio: profile({
    store: 'minio',
    forcePathStyle: true,
    region: 'us-east-1',
    needsEndpoint: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    conditionalWrites: true,
    minPartSize: 5 * MiB,
    sources: [
      'Path style and region us-east-1 by default: min.io/docs/minio/linux/developers/javascript/minio-javascript.html (and MINIO_REGION)',
      `Releases before 2022 reject the x-amz-checksum-* headers; WHEN_REQUIRED works with every release (${SDK_CHANGE})`,
      'If-None-Match on PutObject in 2024 releases (min.io/docs, PutObject); older servers ignore it: run the doctor',
      'Part size 5 MiB minimum: min.io/docs/minio/linux/operations/concepts/thresholds.html'
    ]
  }),
  gcs: profile({
    store: 'gcs',
    forcePathStyle: true,
    region: 'auto',
    needsEndpoint: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    conditionalWrites: false,
    minPartSize: 5 * MiB,
    sources: [
      'XML API interoperability, endpoint https://storage.googleapis.com, HMAC keys, region "auto": cloud.google.com/storage/docs/interoperability',
      `The XML API does not take the x-amz-checksum-* headers (${SDK_CHANGE})`,
      'Preconditions use x-goog-if-generation-match, not If-None-Match: cloud.google.com/storage/docs/request-preconditions',
      'XML API multipart uploads, parts 5 MiB minimum: cloud.google.com/storage/docs/multipart-uploads'
    ]
  }),
  b2: profile({
    store: 'b2',
    forcePathStyle: false,
    region: undefined,
    needsEndpoint: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    conditionalWrites: false,
    minPartSize: 5 * MiB,
    sources: [
      'Endpoint https://s3.<region>.backblazeb2.com, region from the endpoint (e.g. us-west-004): backblaze.com/docs/cloud-storage-s3-compatible-api',
      'x-amz-checksum-crc32 / -algorithm / -mode listed as unsupported: backblaze.com/docs/cloud-storage-s3-compatible-api',
      'Conditional PutObject (If-None-Match) not listed among supported headers: backblaze.com/docs/cloud-storage-s3-compatible-api',
      'Part size 5 MB minimum: backblaze.com/docs/cloud-storage-large-files'
    ]
  }),
  ceph: profile({
    store: 'ceph',
    forcePathStyle: true,
    region: 'us-east-1',
    needsEndpoint: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    conditionalWrites: false,
    minPartSize: 5 * MiB,
    sources: [
      'RGW serves path style unless rgw_dns_name is set: docs.ceph.com/en/latest/radosgw/s3/commons/',
      `Releases before the SDK change reject or ignore the x-amz-checksum-* headers (${SDK_CHANGE}); the doctor tells for yours`,
      'If-None-Match on PutObject is not in the RGW S3 feature table: docs.ceph.com/en/latest/radosgw/s3/ (not relied on)',
      'rgw_multipart_min_part_size defaults to 5 MiB: docs.ceph.com/en/latest/radosgw/config-ref/'
    ]
  }),
  custom: profile({
    store: 'custom',
    forcePathStyle: true,
    region: 'us-east-1',
    needsEndpoint: true,
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    conditionalWrites: false,
    minPartSize: 5 * MiB,
    sources: ['The cautious choice for any other S3 API: what almost every store accepts. Run `s3-sink doctor` to see more.']
  })
})

/** Every store name, for validation and usage text. */
export const STORE_NAMES = Object.freeze(Object.keys(STORE_PROFILES) as StoreName[])

function profile (p: StoreProfile): StoreProfile {
  return Object.freeze({ ...p, sources: Object.freeze([...p.sources]) })
}

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
