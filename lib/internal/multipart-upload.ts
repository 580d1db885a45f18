import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import {
  ChecksumAlgorithm, CompleteMultipartUploadCommand, CreateMultipartUploadCommand, PutObjectCommand, UploadPartCommand,
  type CompletedPart, type PutObjectCommandInput, type S3Client, type UploadPartCommandOutput
} from '@aws-sdk/client-s3'
import { PartBuffers } from './part-buffers.js'
import { BodyMd5, learnMultipartEtag } from './body-md5.js'

/** S3 numbers parts 1 to 10,000. */
const MAX_PARTS = 10_000
/** What sends one request of the upload: the job's retry loop and abort signal live there. */
export type SendCommand = (command: PutObjectCommand | CreateMultipartUploadCommand | UploadPartCommand | CompleteMultipartUploadCommand) => Promise<unknown>

export interface MultipartUploadOptions {
  /** Only its configuration is read (request checksums); every request goes through `send`. */
  client: S3Client
  params: Omit<PutObjectCommandInput, 'Body'> & { Bucket: string, Key: string }
  /** A Buffer is cut into parts without copying; a stream is copied once into part buffers. */
  body: Readable | Buffer
  partSize: number
  /** Parts sent at once. */
  queueSize: number
  send: SendCommand
}

/**
 * One object sent as a single PutObject when its body fits one part,
 * otherwise as a multipart upload. Replaces lib-storage's `Upload` for
 * memory: its stream chunker keeps every chunk of a part until the part
 * is full, then copies them all with `Buffer.concat` and keeps the part's
 * tail as a view that pins the whole copy, so a part costs about twice its
 * size, and the chunks it kept live long enough to reach V8's old space,
 * where only a full collection frees them. Here each chunk is copied into
 * a part buffer as it arrives (it dies young), and a part's buffer is
 * reused for a later part once S3 has acknowledged it: at most
 * `queueSize + 1` buffers of `partSize` per object, whatever its size (a
 * part starts small, so a small object holds a small buffer, and a store
 * that answers quickly lets one buffer serve every part).
 *
 * Requests are the ones lib-storage sends, with the same parameters
 * (CRC32 checksums where the client computes them by default). Failures
 * are the caller's to clean up: a failed upload is never completed, and
 * its UploadId stays readable for AbortMultipartUpload.
 */
export class MultipartUpload {
  /** Set once CreateMultipartUpload answered. */
  uploadId: string | undefined
  /** Body bytes read so far. */
  bytes = 0
  /** ETags S3 returned per part number. */
  readonly partEtags = new Map<number, string>()
  readonly #o: MultipartUploadOptions
  /** The whole body's MD5 as parts go, for a stream, decided at CreateMultipartUpload. */
  readonly #md5: BodyMd5
  readonly #parts: CompletedPart[] = []
  readonly #buffers: PartBuffers
  readonly #inFlight = new Set<Promise<void>>()
  #failure: { error: unknown } | undefined
  #stop!: (reason: Error) => void
  readonly #stopped = new Promise<never>((_resolve, reject) => { this.#stop = reject })

  constructor (options: MultipartUploadOptions) {
    this.#o = options
    this.#buffers = new PartBuffers(options.partSize)
    this.#md5 = new BodyMd5(options.client)
    // Unhandled only when nobody waits on done(); the rejection reaches done()'s caller otherwise.
    this.#stopped.catch(() => {})
  }

  /** Sends the whole body; resolves with the answer of the request that made the object. */
  async done (): Promise<{ ETag?: string }> {
    return await Promise.race([this.#run(), this.#stopped])
  }

  /** Makes `done()` reject now, with requests still in flight (the caller cancels them). */
  abort (): void {
    this.#stop(Object.assign(new Error('Upload aborted.'), { name: 'AbortError' }))
  }

  /**
   * Hex MD5 of the body, for a stream once it has been read whole; `undefined`
   * for a stream sent as one PutObject, whose own answer is what counts, and
   * for a stream whose store never tags a multipart object with it
   * (`needsBodyMd5`: AWS, or a store seen to use S3's form). The parts are
   * hashed as they are sent, not chunk by chunk as they arrive.
   */
  md5 (): string | undefined {
    if (Buffer.isBuffer(this.#o.body)) return createHash('md5').update(this.#o.body).digest('hex')
    return this.uploadId === undefined ? undefined : this.#md5.digest()
  }

  async #run (): Promise<{ ETag?: string }> {
    let single: { ETag?: string } | undefined
    try {
      single = Buffer.isBuffer(this.#o.body) ? await this.#sendBuffer(this.#o.body) : await this.#sendStream(this.#o.body)
    } catch (err) {
      this.#failure ??= { error: err }
    }
    // As lib-storage does: a failure is reported once the other parts in flight have settled.
    while (this.#inFlight.size > 0) await Promise.all(this.#inFlight)
    // Every part is answered: the job may be kept a while (its outcome, its checksum), its buffers need not be.
    this.#buffers.clear()
    if (this.#failure !== undefined) throw this.#failure.error
    if (single !== undefined) return single
    this.#parts.sort((a, b) => (a.PartNumber ?? 0) - (b.PartNumber ?? 0))
    const made = await this.#o.send(new CompleteMultipartUploadCommand({
      ...this.#o.params, UploadId: this.uploadId, MultipartUpload: { Parts: this.#parts }
    })) as { ETag?: string } | undefined
    // How this store tags multipart objects decides whether later bodies are hashed.
    learnMultipartEtag(this.#o.client, made?.ETag)
    return made as { ETag?: string }
  }

  async #sendBuffer (body: Buffer): Promise<{ ETag?: string } | undefined> {
    const { partSize } = this.#o
    this.bytes = body.length
    for (let start = 0, n = 1; ; start += partSize, n++) {
      const last = start + partSize >= body.length
      const result = await this.#part(n, body.subarray(start, start + partSize), last, null)
      if (last || this.#failure !== undefined) return result
    }
  }

  async #sendStream (body: Readable): Promise<{ ETag?: string } | undefined> {
    const { partSize } = this.#o
    let part: Buffer | null = null
    let filled = 0
    let n = 0
    for await (const data of body as AsyncIterable<Buffer | string>) {
      if (this.#failure !== undefined) return undefined
      const chunk = Buffer.isBuffer(data) ? data : Buffer.from(data)
      this.bytes += chunk.length
      for (let offset = 0; offset < chunk.length;) {
        // A full part goes once a byte past it arrives: a body of exactly one part is a single PutObject.
        if (part !== null && filled === partSize) {
          await this.#part(++n, part, false, part)
          if (this.#failure !== undefined) return undefined
          part = null
          filled = 0
        }
        if (part === null) part = this.#buffers.start()
        else if (filled === part.length) part = this.#buffers.grow(part, n === 0)
        const copied = chunk.copy(part, filled, offset)
        filled += copied
        offset += copied
      }
    }
    return await this.#part(++n, (part ?? Buffer.alloc(0)).subarray(0, filled), true, null)
  }

  /**
   * Sends part `n`, waiting for a free slot first; the first and last part of
   * a body that fits one part is a PutObject instead. `reuse`: a buffer to
   * hand to a later part once S3 has this one.
   */
  async #part (n: number, data: Buffer, last: boolean, reuse: Buffer | null): Promise<{ ETag?: string } | undefined> {
    const { params, queueSize, send } = this.#o
    if (n === 1 && last) return await send(new PutObjectCommand({ ...params, Body: data })) as { ETag?: string }
    if (n > MAX_PARTS) throw new Error(`Exceeded ${MAX_PARTS} parts in multipart upload to Bucket: ${params.Bucket} Key: ${params.Key}.`)
    this.uploadId ??= await this.#create()
    while (this.#inFlight.size >= queueSize) await Promise.race(this.#inFlight)
    if (this.#failure !== undefined) return undefined
    if (!Buffer.isBuffer(this.#o.body)) this.#md5.update(data)
    const sent = send(new UploadPartCommand({ ...params, UploadId: this.uploadId, Body: data, PartNumber: n })).then((answer) => {
      const result = answer as UploadPartCommandOutput
      if (result.ETag === undefined) throw new Error(`Part ${n} is missing ETag in UploadPart response. Missing Bucket CORS configuration for ETag header?`)
      this.partEtags.set(n, result.ETag)
      const { ChecksumCRC32, ChecksumCRC32C, ChecksumSHA1, ChecksumSHA256 } = result
      this.#parts.push({
        PartNumber: n,
        ETag: result.ETag,
        ...(ChecksumCRC32 === undefined ? {} : { ChecksumCRC32 }),
        ...(ChecksumCRC32C === undefined ? {} : { ChecksumCRC32C }),
        ...(ChecksumSHA1 === undefined ? {} : { ChecksumSHA1 }),
        ...(ChecksumSHA256 === undefined ? {} : { ChecksumSHA256 })
      })
      if (reuse !== null) this.#buffers.release(reuse)
    }).catch((err: unknown) => {
      this.#failure ??= { error: err }
    }).finally(() => { this.#inFlight.delete(sent) })
    this.#inFlight.add(sent)
    return undefined
  }

  async #create (): Promise<string | undefined> {
    const { client, params, send } = this.#o
    const input = { ...params }
    // What lib-storage asks for, so parts and the object get the checksums the client adds by default.
    if (await client.config.requestChecksumCalculation() === 'WHEN_SUPPORTED') input.ChecksumAlgorithm ??= ChecksumAlgorithm.CRC32
    if (!Buffer.isBuffer(this.#o.body)) await this.#md5.start()
    const created = await send(new CreateMultipartUploadCommand(input)) as { UploadId?: string }
    return created.UploadId
  }
}
