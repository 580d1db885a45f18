import { spawn } from 'node:child_process'
import * as zlib from 'node:zlib'

/** node:zlib's zstd decoder where this Node has it (typed here: @types/node 20 lacks it). */
const zstdDecompressSync = (zlib as unknown as { zstdDecompressSync?: (data: Buffer) => Buffer }).zstdDecompressSync

/**
 * Decodes zstd with a real decoder: the `zstd` command when the machine has
 * it (Debian's package), else node:zlib's own.
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
  if (viaCli !== null) return viaCli
  if (zstdDecompressSync === undefined) throw new Error('no zstd decoder here')
  return zstdDecompressSync(data)
}

/** The same, synchronous, for helpers that read objects back (node:zlib only). */
export function unzstdSync (data: Buffer): Buffer {
  if (zstdDecompressSync === undefined) throw new Error('no zstd decoder in this Node')
  return zstdDecompressSync(data)
}
