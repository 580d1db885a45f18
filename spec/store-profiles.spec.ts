import { expect } from 'chai'
import { pipeline } from 'node:stream/promises'
import { Readable } from 'node:stream'
import { InvalidOptionError } from '../lib/errors.js'
import { STORE_NAMES, STORE_PROFILES, storeClientSettings } from '../lib/store-profiles.js'
import { createS3Client } from '../lib/internal/s3-client.js'
import { minuteWindow } from '../lib/stages/minute-window.js'
import { gzip } from '../lib/stages/gzip.js'
import { s3Writable } from '../lib/sinks/s3-writable.js'
import { startS3rver, type LocalS3 } from './helpers/s3rver.js'

const ENDPOINT = 'https://example.invalid'

describe('store profiles', () => {
  it('documents every store with sources and the 5 MiB part minimum', () => {
    expect(STORE_NAMES).to.deep.equal(['aws', 'r2', 'minio', 'gcs', 'b2', 'ceph', 'custom'])
    for (const name of STORE_NAMES) {
      const p = STORE_PROFILES[name]
      expect(p.store).to.equal(name)
      expect(p.sources.length).to.be.greaterThan(0)
      expect(p.minPartSize).to.equal(5 * 1024 * 1024)
      expect(Object.isFrozen(p)).to.equal(true)
    }
  })

  it('leaves the SDK defaults alone for aws and no store', () => {
    expect(storeClientSettings({}, 'options')).to.deep.equal({})
    expect(storeClientSettings({ store: 'aws' }, 'options')).to.deep.equal({})
  })

  it('r2: region auto, virtual-hosted, checksums only when required', () => {
    expect(storeClientSettings({ store: 'r2', endpoint: ENDPOINT }, 'options')).to.deep.equal({
      region: 'auto', forcePathStyle: false, requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED'
    })
  })

  it('the caller\'s region and forcePathStyle win over the profile', () => {
    expect(storeClientSettings({ store: 'minio', endpoint: ENDPOINT, region: 'eu-1', forcePathStyle: false }, 'options'))
      .to.include({ region: 'eu-1', forcePathStyle: false })
  })

  it('refuses an unknown store and a store without its endpoint, naming the option', () => {
    expect(() => storeClientSettings({ store: 'azure' }, 'options')).to.throw(InvalidOptionError).with.property('option', 'options.store')
    expect(() => storeClientSettings({ store: 'r2' }, 'config')).to.throw(InvalidOptionError).with.property('option', 'config.endpoint')
  })

  it('reaches the S3 client', async () => {
    const client = createS3Client({ store: 'r2', endpoint: ENDPOINT, accessKeyId: 'a', secretAccessKey: 'b' }, 'options')
    try {
      expect(await client.config.region()).to.equal('auto')
      expect(client.config.forcePathStyle).to.equal(false)
      expect(await client.config.requestChecksumCalculation()).to.equal('WHEN_REQUIRED')
    } finally {
      client.destroy()
    }
  })

  describe('against s3rver', () => {
    let s3: LocalS3
    before(async () => {
      s3 = await startS3rver()
      await s3.createBucket('profiles')
    })
    after(async () => { await s3.close() })

    it('store "custom" (path style, WHEN_REQUIRED) delivers without forcePathStyle', async () => {
      // A host name, not an IP: only path style reaches the bucket (virtual-hosted would ask profiles.localhost).
      const { forcePathStyle: _ignored, ...config } = { ...s3.config, endpoint: s3.endpoint.replace('127.0.0.1', 'localhost') }
      const records = Array.from({ length: 50 }, (_, i) => ({ i }))
      await pipeline(Readable.from(records), minuteWindow(), gzip(), s3Writable({ ...config, store: 'custom', bucket: 'profiles', prefix: 'custom' }))
      expect(await s3.readRecords('profiles', 'custom/')).to.deep.equal(records)
    })
  })
})
