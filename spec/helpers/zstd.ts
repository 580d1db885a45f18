import { spawn } from 'node:child_process'
import * as zlib from 'node:zlib'

/** node:zlib's zstd decoder where this Node has it (typed here: @types/node 20 lacks it). */
const zstdDecompressSync = (zlib as unknown as { zstdDecompressSync?: (data: Buffer) => Buffer }).zstdDecompressSync

/**
 * Decodes zstd with the real decoders there are: the `zstd` command when the
 * machine has it (Debian's package) and node:zlib's own where this Node has
 * it, and fails when they disagree.
 */
export async function unzstd (data: Buffer): Promise<Buffer> {
  const viaCli = await new Promise<Buffer | null>((resolve, reject) => {
    const child = spawn('zstd', ['-d', '-c', '-q'])
    const chunks: Buffer[] = []
    child.on('error', (err: NodeJS.ErrnoException) => { err.code === 'ENOENT' ? resolve(null) : reject(err) })
    child.stdout.on('data', (c: Buffer) => chunks.push(c))
    child.on('close', (code) => { if (code === 0) resolve(Buffer.concat(chunks)); else if (code !== null) reject(new Error(`zstd exited ${code}`)) })
    child.stdin.on('error', () => {})
    child.stdin.end(data)
  })
  const viaNode = zstdDecompressSync?.(data)
  // Both where both exist: node:zlib stops at a frame's end that does not fill its output buffer (nodejs/node#64741),
  // so a body of several frames reads shorter there than with the command; a body must read the same everywhere.
  if (viaCli !== null && viaNode !== undefined && !viaCli.equals(viaNode)) {
    throw new Error(`node:zlib read ${viaNode.length} bytes where the zstd command read ${viaCli.length}: not one frame?`)
  }
  const body = viaCli ?? viaNode
  if (body === undefined) throw new Error('no zstd decoder here')
  return body
}

/** The same, synchronous, for helpers that read objects back (node:zlib only). */
export function unzstdSync (data: Buffer): Buffer {
  if (zstdDecompressSync === undefined) throw new Error('no zstd decoder in this Node')
  return zstdDecompressSync(data)
}
