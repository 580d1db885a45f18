import { Transform, pipeline, type Readable, type TransformCallback } from 'node:stream'
import { AbortMultipartUploadCommand, PutObjectCommand, type PutObjectCommandInput, type S3Client } from '@aws-sdk/client-s3'
import { Upload } from '@aws-sdk/lib-storage'

export interface UploadJobOptions {
  client: S3Client
  params: Omit<PutObjectCommandInput, 'Body'> & { Bucket: string, Key: string }
  /** A stream goes through lib-storage's Upload; a Buffer up to `partSize` is one PutObject. */
  body: Readable | Buffer
  partSize: number
  queueSize: number
  /** How long an abort waits for requests in flight before giving up on them, in ms. */
  abortTimeout: number
}

/**
 * One object on its way into S3. A stream body goes through lib-storage's
 * `Upload` (multipart above `partSize`, one PutObject below); a Buffer body
 * that fits one part is a plain PutObject. Every request of the job carries
 * the job's abort signal, so an abort cancels what is in flight instead of
 * leaving it to run (and be retried) after the caller has moved on.
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
  readonly #upload: Upload | null = null
  /** Cancels every request of this job: lib-storage sends without a signal of its own. */
  readonly #cancel = new AbortController()
  readonly #counter: ByteCounter | null = null
  readonly #bytes: number = 0
  readonly #abortTimeout: number
  readonly #bucket: string
  #requestFailure: unknown = undefined
  #giveUp: NodeJS.Timeout | undefined

  constructor (options: UploadJobOptions) {
    const { client, params, body } = options
    this.key = params.Key
    this.#bucket = params.Bucket
    this.#client = client
    this.#abortTimeout = options.abortTimeout
    let done: Promise<{ ETag?: string }>
    if (Buffer.isBuffer(body) && body.length <= options.partSize) {
      this.#bytes = body.length
      done = client.send(new PutObjectCommand({ ...params, Body: body }), { abortSignal: this.#cancel.signal })
    } else {
      let Body: Readable | Buffer = body
      if (!Buffer.isBuffer(body)) {
        const counter = new ByteCounter()
        // Errors travel to the counter, which the upload reads: it fails, never completes short.
        pipeline(body, counter, () => {})
        Body = counter
        this.#counter = counter
      } else {
        this.#bytes = body.length
      }
      this.#upload = new Upload({
        client: this.#watch(client),
        params: { ...params, Body },
        partSize: options.partSize,
        queueSize: options.queueSize,
        leavePartsOnError: true
      })
      done = this.#upload.done()
    }
    this.settled = done.then((result) => {
      this.ok = true
      this.etag = result.ETag
    }, (err: unknown) => {
      // After giving up on a stalled part, the request that failed for good is the cause, not our abort.
      this.failure = this.#requestFailure ?? err
    }).finally(() => { clearTimeout(this.#giveUp) })
  }

  /**
   * lib-storage reports a failed part only once every other part in flight
   * has settled, so one stalled request would hold the failure back for
   * `requestTimeout × maxAttempts`. A request that failed for good (the SDK
   * has already retried it) starts the `abortTimeout` clock instead.
   */
  #watch (client: S3Client): S3Client {
    const send = async (command: unknown): Promise<unknown> => {
      try {
        return await Reflect.apply(client.send, client, [command, { abortSignal: this.#cancel.signal }]) as unknown
      } catch (err) {
        if (this.#requestFailure === undefined && !this.#cancel.signal.aborted) {
          this.#requestFailure = err
          this.#giveUp = setTimeout(() => { this.#cancel.abort(err); void this.#upload?.abort() }, this.#abortTimeout)
        }
        throw err
      }
    }
    return new Proxy(client, { get: (target, prop, receiver) => prop === 'send' ? send : Reflect.get(target, prop, receiver) })
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
    this.#cancel.abort(reason)
    let timer: NodeJS.Timeout | undefined
    const timedOut = await Promise.race([
      this.settled.then(() => false),
      new Promise<boolean>((resolve) => { timer = setTimeout(resolve, this.#abortTimeout, true) })
    ])
    clearTimeout(timer)
    if (timedOut) {
      // A request hanging past abortTimeout: stop waiting for it.
      if (this.#upload === null) {
        this.failure ??= reason
        return undefined
      }
      await this.#upload.abort() // done() rejects at once; the Abort below discards the part
      await this.settled
    }
    const UploadId = this.#upload?.uploadId
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
