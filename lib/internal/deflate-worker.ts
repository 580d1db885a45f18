import { Worker } from 'node:worker_threads'

/** What a worker sends back for a stream: a block's raw deflate output, or why it failed. */
export interface BlockReceiver {
  block: (seq: number, out: Buffer) => void
  error: (err: Error) => void
}

interface Reply { id: number, seq?: number, data?: Uint8Array, error?: { message: string, code?: string } }

/**
 * The worker's code, run with `eval: true`: plain CommonJS, so it needs no
 * file of its own and runs the same from `dist/`, under tsx or in a bundle.
 * Each message is one block: raw deflate at `level`, primed with
 * `dictionary`, ended with a sync flush (byte-aligned, not final), or one
 * zstd frame at `level` when `codec` is 'zstd'; answered
 * with the output in a buffer of its own (zlib's may be a view of a larger one).
 */
const SCRIPT = `
'use strict'
const { parentPort } = require('node:worker_threads')
const zlib = require('node:zlib')
parentPort.on('message', (m) => {
  let out
  try {
    out = m.codec === 'zstd'
      ? zlib.zstdCompressSync(m.data, { params: { [zlib.constants.ZSTD_c_compressionLevel]: m.level } })
      : zlib.deflateRawSync(m.data, { level: m.level, finishFlush: zlib.constants.Z_SYNC_FLUSH, ...(m.dictionary === undefined ? {} : { dictionary: m.dictionary }) })
  } catch (err) {
    parentPort.postMessage({ id: m.id, error: { message: String(err && err.message), code: err && err.code } })
    return
  }
  const copy = new Uint8Array(out)
  parentPort.postMessage({ id: m.id, seq: m.seq, data: copy }, [copy.buffer])
})
`

/**
 * A thread that raw-deflates whole blocks synchronously for the streams
 * registered with it. It keeps the process alive only while a stream is
 * registered, so an idle worker never delays exit. If the thread fails, its
 * streams get the error and the next {@link deflateWorker} call starts a
 * fresh one.
 */
export class DeflateWorker {
  readonly #worker: Worker
  readonly #receivers = new Map<number, BlockReceiver>()
  #nextId = 1
  #failed = false

  constructor () {
    // It holds a block or two at a time: a small heap is plenty.
    this.#worker = new Worker(SCRIPT, { eval: true, resourceLimits: { maxYoungGenerationSizeMb: 4, maxOldGenerationSizeMb: 32 } })
    this.#worker.unref()
    this.#worker.on('message', (reply: Reply) => { this.#dispatch(reply) })
    this.#worker.on('error', (err) => { this.#fail(err) })
    this.#worker.on('exit', (code) => { this.#fail(new Error(`the deflate worker thread exited (code ${code})`)) })
  }

  /** False once the thread failed. */
  get usable (): boolean {
    return !this.#failed
  }

  /** Registers a stream's receiver; returns the id its blocks are sent under. */
  register (receiver: BlockReceiver): number {
    const id = this.#nextId++
    if (this.#receivers.size === 0) this.#worker.ref()
    this.#receivers.set(id, receiver)
    return id
  }

  /** Stops receiving for `id`: answers still on their way are dropped. */
  forget (id: number): void {
    if (this.#receivers.delete(id) && this.#receivers.size === 0) this.#worker.unref()
  }

  /** Deflates block `seq` of stream `id`. The buffers of `data` and `dictionary` are handed over (unusable here afterwards). */
  deflate (id: number, seq: number, level: number, data: Uint8Array, dictionary: Uint8Array | undefined): void {
    const transfer = [data.buffer as ArrayBuffer]
    if (dictionary !== undefined) transfer.push(dictionary.buffer as ArrayBuffer)
    this.#worker.postMessage({ id, seq, level, data, dictionary }, transfer)
  }

  /** Compresses block `seq` of stream `id` into one zstd frame (Node >= 22.15). The buffer of `data` is handed over. */
  zstd (id: number, seq: number, level: number, data: Uint8Array): void {
    this.#worker.postMessage({ id, seq, level, data, codec: 'zstd' }, [data.buffer as ArrayBuffer])
  }

  #dispatch (reply: Reply): void {
    const receiver = this.#receivers.get(reply.id)
    if (receiver === undefined) return
    if (reply.data !== undefined) return receiver.block(reply.seq as number, Buffer.from(reply.data.buffer, reply.data.byteOffset, reply.data.byteLength))
    this.forget(reply.id)
    receiver.error(Object.assign(new Error(reply.error?.message ?? 'deflate failed'), reply.error?.code === undefined ? {} : { code: reply.error.code }))
  }

  #fail (err: Error): void {
    if (this.#failed) return
    this.#failed = true
    const receivers = [...this.#receivers.values()]
    this.#receivers.clear()
    for (const receiver of receivers) receiver.error(err)
    void this.#worker.terminate()
  }
}

const workers: Array<DeflateWorker | undefined> = []
let unavailable = false

/**
 * The process's deflate worker number `index`, started on first use, or
 * `null` where worker threads cannot be started (then parallel gzip runs on
 * zlib's thread pool instead).
 *
 * @example
 * ```ts
 * const worker = deflateWorker(0)
 * ```
 */
export function deflateWorker (index: number): DeflateWorker | null {
  if (unavailable) return null
  const current = workers[index]
  if (current?.usable === true) return current
  try {
    const worker = new DeflateWorker()
    workers[index] = worker
    return worker
  } catch {
    unavailable = true
    return null
  }
}
