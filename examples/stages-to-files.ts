/**
 * The stages work without S3: minute windows of gzip NDJSON written to local
 * files, named by keyRotate(), with records serialized by serialize().
 * Run: npx tsx examples/stages-to-files.ts
 */
import { createWriteStream } from 'node:fs'
import { mkdir, mkdtemp, readdir } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { Readable, Writable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import { gzip, keyRotate, minuteWindow, serialize, type Batch } from '../lib/index.js'
import { runs } from './local-s3.js'

const dir = await mkdtemp(join(tmpdir(), 'stages-'))

/** A sink of our own: each batch body into a file named by its key. */
const toFiles = new Writable({
  objectMode: true,
  write (batch: Batch, _encoding, cb) {
    const path = join(dir, batch.key!)
    mkdir(dirname(path), { recursive: true })
      .then(() => pipeline(batch.body, createWriteStream(path)))
      .then(() => cb(), cb)
  }
})

await pipeline(Readable.from(runs(5000)), serialize(), minuteWindow({ maxRecords: 1000 }), gzip({ level: 1 }), keyRotate({ prefix: 'local' }), toFiles)
const files = await readdir(dir, { recursive: true })
console.log(`${files.filter((f) => f.endsWith('.gz')).length} files under ${dir}`)
