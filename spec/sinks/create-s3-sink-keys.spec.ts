import { pipeline } from 'node:stream/promises'
import { expect } from 'chai'
import { PutObjectCommand, S3Client } from '@aws-sdk/client-s3'
import { mockClient } from 'aws-sdk-client-mock'
import { createS3Sink } from '../../lib/sinks/create-s3-sink.js'
import { startS3rver, type LocalS3 } from '../helpers/s3rver.js'
import { source } from '../helpers/streams.js'

const runOf = (runId: unknown, n: number): Record<string, unknown> => ({ apiInfo: { name: 'search', runId, result: { status: 'completed' } }, n })

describe('createS3Sink(): per-Run keys', function () {
  this.timeout(20_000)

  it('two Runs with the same key are written one after the other, the later one last (aws-sdk-client-mock)', async () => {
    const client = new S3Client({ region: 'us-east-1', credentials: { accessKeyId: 'AK', secretAccessKey: 'SK' } })
    const mock = mockClient(client)
    let inFlight = 0
    let most = 0
    const order: string[] = []
    mock.on(PutObjectCommand).callsFake(async (input: { Key: string, Body: Buffer }) => {
      most = Math.max(most, ++inFlight)
      // The first write to a key is the slowest: a race would let the second land first.
      const n = (JSON.parse(input.Body.toString()) as { n: number }).n
      await new Promise((resolve) => setTimeout(resolve, n === 0 ? 50 : 1))
      order.push(`${input.Key}#${n}`)
      inFlight--
      return { ETag: '"e"' }
    })
    await pipeline(source([runOf(7, 0), runOf(7, 1), runOf('other', 2), runOf(7, 3)]), createS3Sink({ type: 's3', bucket: 'b', client }))
    const sameKey = order.filter((o) => o.startsWith('search/7.json'))
    expect(sameKey).to.deep.equal(['search/7.json#0', 'search/7.json#1', 'search/7.json#3'])
    // Other keys still go in parallel.
    expect(order.indexOf('search/other.json#2')).to.be.lessThan(order.indexOf('search/7.json#0'))
    expect(most).to.equal(2)
  })

  describe('on s3rver', () => {
    let s3: LocalS3
    before(async () => {
      s3 = await startS3rver()
      await s3.createBucket('runkeys')
    })
    after(async () => { await s3.close() })

    it('a numeric runId keys its object deterministically: a redelivery replaces it', async () => {
      for (const n of [1, 2]) await pipeline(source([runOf(42, n)]), createS3Sink({ type: 's3', bucket: 'runkeys', ...s3.config, prefix: 'num' }))
      expect(await s3.listKeys('runkeys', 'num/')).to.deep.equal(['num/search/42.json'])
      expect(JSON.parse((await s3.getObject('runkeys', 'num/search/42.json')).body.toString())).to.include({ n: 2 })
    })

    it('many Runs with one key at once: one object, holding the last of them', async () => {
      const runs = Array.from({ length: 30 }, (_, n) => runOf('same', n))
      await pipeline(source(runs), createS3Sink({ type: 's3', bucket: 'runkeys', ...s3.config, prefix: 'same' }))
      expect(await s3.listKeys('runkeys', 'same/')).to.deep.equal(['same/search/same.json'])
      expect(JSON.parse((await s3.getObject('runkeys', 'same/search/same.json')).body.toString())).to.include({ n: 29 })
    })
  })
})
