import { expect } from 'chai'
import { S3Client } from '@aws-sdk/client-s3'
import { onAwsEndpoint } from '../../lib/internal/on-aws-endpoint.js'

describe("onAwsEndpoint: the one answer to 'is this client talking to AWS's own S3 endpoint' (body MD5, unsigned payload)", () => {
  it('an SDK client without endpoint is; one with an endpoint, a config without the fields, or none is not', async () => {
    expect(await onAwsEndpoint(new S3Client({ region: 'us-east-1' }).config)).to.equal(true)
    expect(await onAwsEndpoint(new S3Client({ region: 'us-east-1', endpoint: 'https://minio.example:9000' }).config)).to.equal(false)
    expect(await onAwsEndpoint({})).to.equal(false)
    expect(await onAwsEndpoint(undefined)).to.equal(false)
  })

  it('an endpoint from AWS_ENDPOINT_URL_S3 is not AWS\'s (the SDK leaves isCustomEndpoint false), unless ignoreConfiguredEndpointUrls', async () => {
    const before = process.env.AWS_ENDPOINT_URL_S3
    process.env.AWS_ENDPOINT_URL_S3 = 'https://store.example'
    try {
      const client = new S3Client({ region: 'us-east-1' })
      expect(client.config.isCustomEndpoint).to.equal(false)
      expect(await onAwsEndpoint(client.config)).to.equal(false)
      expect(await onAwsEndpoint(new S3Client({ region: 'us-east-1', ignoreConfiguredEndpointUrls: true }).config)).to.equal(true)
    } finally {
      if (before === undefined) delete process.env.AWS_ENDPOINT_URL_S3
      else process.env.AWS_ENDPOINT_URL_S3 = before
    }
  })
})
