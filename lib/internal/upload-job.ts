import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream'
import { AbortMultipartUploadCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'

export interface UploadJobOptions {
  client: S3Client
  params: Omit<PutObjectCommandInput, 'Body'> & { Bucket: string, Key: string }
  body: Readable | Buffer
  partSize: number
  queueSize: number
  /** How long an abort waits for parts in flight before aborting anyway, in ms. */
  abortTimeout: number
}

/**
 * One object on its way into S3 through lib-storage's `Upload`: multipart for
 * bodies above `partSize`, a single PutObject below.
 *
 * `leavePartsOnError` is set and the multipart upload is aborted here instead:
 * lib-storage lets a failing AbortMultipartUpload replace the error that
 * caused it, and the caller must see the original one.
 */
export class UploadJob {
  readonly key: string
  /** Resolves when the upload has completed or failed; never rejects. */
  readonly settled: Promise<void>
  etag: string | undefined
  /** Why the upload failed, once `settled`; `undefined` on success. */
  failure: unknown = undefined
  ok = false
  readonly #client: S3Client
  readonly #upload: Upload
  readonly #counter: ByteCounter | null
  readonly #bytes: number
  readonly #abortTimeout: number
  readonly #bucket: string

  constructor (options: UploadJobOptions) {
    const { client, params, body } = options
    this.key = params.Key
    this.#bucket = params.Bucket
    this.#client = client
    this.#abortTimeout = options.abortTimeout
    let Body: Readable | Buffer
    if (Buffer.isBuffer(body)) {
      Body = body
      this.#counter = null
      this.#bytes = body.length
    } else {
      const counter = new ByteCounter()
      // Errors travel to the counter, which the upload reads: it fails, never completes short.
      pipeline(body, counter, () => {})
      Body = counter
      this.#counter = counter
      this.#bytes = 0
    }
    this.#upload = new Upload({
      client,
      params: { ...params, Body },
      partSize: options.partSize,
      queueSize: options.queueSize,
      leavePartsOnError: true
    })
    this.settled = this.#upload.done().then((result) => {
      this.ok = true
      this.etag = result.ETag
    }, (err: unknown) => {
      this.failure = err
    })
  }

  /** Bytes sent as the object's body. */
  get bytes (): number {
    return this.#counter === null ? this.#bytes : this.#counter.bytes
  }

  /**
   * Stops the upload and removes its stored parts. Resolves once done, with
   * the error of AbortMultipartUpload if that failed; never rejects.
   */
  async abort (reason: Error): Promise<unknown> {
    if (this.#counter !== null && !this.#counter.destroyed) this.#counter.destroy(reason)
    let timer: NodeJS.Timeout | undefined
    const timedOut = await Promise.race([
      this.settled.then(() => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(resolve, this.#abortTimeout, true) })
    ])
    clearTimeout(timer)
    // A part hanging past abortTimeout: stop waiting; the abort below discards it.
    if (timedOut) await this.#upload.abort()
    const UploadId = this.#upload.uploadId
    if (this.ok || UploadId === undefined) return undefined
    try {
      await this.#client.send(new AbortMultipartUploadCommand({ Bucket: this.#bucket, Key: this.key, UploadId }))
      return undefined
    } catch (err) {
      return err
    }
  }
}

class ByteCounter extends Transform {
  bytes = 0
  override _transform (chunk: Buffer, _encoding: BufferEncoding, cb: TransformCallback): void {
    this.bytes += chunk.length
    cb(null, chunk)
  }
}
