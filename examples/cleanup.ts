/**
 * abortIncompleteUploads(): remove multipart uploads a crashed process left
 * behind. s3rver cannot list multipart uploads, so this example only runs
 * against a real store (S3_ENDPOINT or AWS); offline it says so and shows
 * the call. Run: npx tsx examples/cleanup.ts
 */
import { abortIncompleteUploads } from '../lib/index.js'

const DAY = 24 * 60 * 60 * 1000
const bucket = process.env.S3_BUCKET
if (bucket === undefined) {
  console.log('set S3_BUCKET (and S3_ENDPOINT for S3-compatible stores) to run: abortIncompleteUploads({ bucket, prefix: "runs/", olderThan: DAY })')
} else {
  const endpoint = process.env.S3_ENDPOINT
  const { aborted, failed } = await abortIncompleteUploads({
    bucket,
    prefix: process.env.S3_PREFIX ?? '',
    olderThan: DAY,
    dryRun: process.env.DRY_RUN === '1',
    ...(endpoint === undefined ? {} : { endpoint, forcePathStyle: true })
  })
  console.log(`aborted ${aborted.length} uploads older than a day`)
  for (const { key, uploadId, error } of failed) console.error(`could not abort ${key} (${uploadId}): ${error.message}`)
}
