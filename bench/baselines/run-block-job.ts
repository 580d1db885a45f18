import type { BlockDone } from '../../lib/internal/block-done.js'
import type { ZlibEngine } from '../../lib/internal/zlib-engine.js'

/**
 * Compresses `block` whole with a fresh `engine` whose output buffer should
 * hold the result: ONE job on zlib's pool (what `zlib.deflateRaw(buf, cb)`
 * does), then `done` with the output as zlib made it (no concat).
 *
 * @example
 * ```ts
 * runBlockJob(zlib.createDeflateRaw({ level: 6, chunkSize: 256 * 1024 }), block, (err, out) => {})
 * ```
 */
export function runBlockJob (engine: ZlibEngine, block: Buffer, done: BlockDone): void {
  const out: Buffer[] = []
  engine.on('data', (chunk: Buffer) => { out.push(chunk) })
  engine.once('error', (err: Error) => { done(err) })
  engine.once('end', () => {
    engine.close()
    // The pieces as they are (views of one output buffer, mostly): a concat would copy each block's output once more.
    done(null, out)
  })
  engine.end(block)
}
