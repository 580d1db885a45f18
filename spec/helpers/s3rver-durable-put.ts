import { createHash, randomUUID } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, rename } from 'node:fs/promises'
import { dirname } from 'node:path'
import { Readable, Transform } from 'node:stream'
import { pipeline } from 'node:stream/promises'

interface StoredObject { bucket: string, key: string, content: Buffer | Readable, metadata: Record<string, string> }
interface FilesystemStore {
  getResourcePath: (bucket: string, key: string, resource: string) => string
  putMetadata: (bucket: string, key: string, metadata: Record<string, string>, md5: string) => Promise<void>
  putObject: (object: StoredObject) => Promise<{ size: number, md5: string }>
}

/**
 * s3rver's filesystem store answers a PutObject once the body has passed its
 * MD5 step, before the file is written (a Buffer body: as soon as the write
 * starts), and writes in place. Two PUTs of one key in a row can then land
 * in either order, and a GET can read a half-written file: under load, a
 * spec that overwrites an object read back the older body. This store
 * writes to a temporary file and renames it before answering, as S3 only
 * answers once an object is complete; the temporary name lacks s3rver's
 * object suffix, so listings never show it.
 */
export function answerPutsOnceWritten (store: FilesystemStore): void {
  store.putObject = async function (object: StoredObject) {
    const objectPath = this.getResourcePath(object.bucket, object.key, 'object')
    await mkdir(dirname(objectPath), { recursive: true })
    const md5 = createHash('md5')
    let size = 0
    const counted = new Transform({
      transform (chunk: Buffer, _encoding, callback) {
        md5.update(chunk)
        size += chunk.length
        callback(null, chunk)
      }
    })
    const temporary = `${objectPath}.${randomUUID()}.writing`
    const body = Buffer.isBuffer(object.content) ? Readable.from([object.content]) : object.content
    await pipeline(body, counted, createWriteStream(temporary))
    await rename(temporary, objectPath)
    const digest = md5.digest('hex')
    await this.putMetadata(object.bucket, object.key, object.metadata, digest)
    return { size, md5: digest }
  }
}
