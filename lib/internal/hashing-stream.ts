import { createHash, type Hash } from 'node:crypto'
import { Transform, type TransformCallback } from 'node:stream'

/** Passes bytes through while hashing them (SHA-256), so a manifest can name an object's checksum without reading it back. */
export class HashingStream extends Transform {
  readonly #hash: Hash = createHash('sha256')
  #digest: string | undefined

  override _transform (chunk: Buffer, _encoding: BufferEncoding, cb: TransformCallback): void {
    this.#hash.update(chunk)
    cb(null, chunk)
  }

  override _flush (cb: TransformCallback): void {
    this.#digest = this.#hash.digest('hex')
    cb()
  }

  /** Lowercase hex SHA-256 of every byte that passed; `undefined` until the stream has ended. */
  get sha256 (): string | undefined {
    return this.#digest
  }
}
