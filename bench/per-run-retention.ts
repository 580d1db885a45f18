// Whether the per-Run sink keeps anything per object on a long feed: one sink, one feed, and at marks along it
// the heap left after full collections. Every Run is a fresh object with its own runId (so every key is new) and its
// own onDurable, as a queue consumer's would be; maps of keys, pending acknowledgements, listeners on the shared
// abort signal or the order bookkeeping would grow with the objects. Peak RSS cannot tell that apart from V8's
// sizing of its heap; this can.
//   node --expose-gc --import tsx bench/per-run-retention.ts [objects=300000] [client=discard|http]
// `discard`: the in-process discarding client (no sockets). `http`: a caller's S3Client with the SDK's own
// request handler, to a discarding endpoint on 127.0.0.1 (the handler listens on the sink's shared abort signal
// once per request, and the sockets come into play).
import './env.js'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { S3Client } from '@aws-sdk/client-s3'
import { onDurable } from '../lib/durable.js'
import { createS3Sink } from '../lib/sinks/create-s3-sink.js'
import { discardClient } from './discard-client.js'
import { startDiscardServer } from './discard-server.js'
import { recordPool } from './feed.js'

const [objectsArg = '300000', clientArg = 'discard'] = process.argv.slice(2)
const objects = Number(objectsArg)
const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')
const server = clientArg === 'http' ? await startDiscardServer() : null
const client = server === null
  ? discardClient().client
  : new S3Client({ endpoint: server.endpoint, region: 'us-east-1', forcePathStyle: true, credentials: { accessKeyId: 'D', secretAccessKey: 'D' } })
const marks = new Set([2_000, 5_000, 10_000, 30_000, 100_000, 200_000, 300_000, 1_000_000].filter((m) => m < objects))
const pool = recordPool(10_000)
const t0 = process.hrtime.bigint()
const lines: string[] = []
let acked = 0
let i = 0
const feed = new Readable({
  objectMode: true,
  highWaterMark: 16,
  read () {
    if (i === objects) return void this.push(null)
    if (marks.has(i)) {
      // Twice: the first collection's weak callbacks and finalizers free more for the second.
      gc()
      gc()
      const m = process.memoryUsage()
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9
      lines.push(`${String(i).padStart(9)} objects: heap used ${(m.heapUsed / 1e6).toFixed(2)} MB of ${(m.heapTotal / 1e6).toFixed(1)}, external ${(m.external / 1e6).toFixed(2)} MB, RSS ${(m.rss / 1e6).toFixed(1)} MB, ${Math.round(i / seconds)} objects/s`)
    }
    const base = pool[i % pool.length]
    const run = { ...base, apiInfo: { ...base?.apiInfo, runId: `r${i}` }, [onDurable]: () => { acked++ } }
    i++
    this.push(run)
  }
})
await pipeline(feed, createS3Sink({ type: 's3', bucket: 'bench', client }))
client.destroy()
await server?.close()
console.log(`${objects} objects into one per-Run sink (${clientArg} client), Node ${process.version}, ${acked} acknowledged; after full collections at:`)
console.log(lines.join('\n'))
