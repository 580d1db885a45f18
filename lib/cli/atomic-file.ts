import { randomBytes } from 'node:crypto'
import { createWriteStream } from 'node:fs'
import { mkdir, open, rename, unlink } from 'node:fs/promises'
import { basename, dirname, join } from 'node:path'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'

/**
 * Writes `body` to `path` so that `path` only ever holds a complete file: the
 * bytes go to a hidden temp file beside it (`.name.<random>.partial`, same
 * directory so the rename is atomic), which is flushed and renamed over
 * `path` once complete. On failure or abort the temp file is removed and
 * `path` is left untouched. Parent directories are created as needed.
 * Resolves, with the number of bytes written, once the new name is durable
 * too: its directory is synced after the rename, and so is the parent of
 * every directory made for it (a file's own fsync does not persist its
 * name, so a power loss could take away a file whose records were
 * acknowledged).
 *
 * @example
 * ```ts
 * const bytes = await writeFileAtomic('out/2026/11/25/14/batch.gz', batch.body, { signal })
 * ```
 */
export async function writeFileAtomic (path: string, body: Readable | Buffer | string, options: { signal?: AbortSignal } = {}): Promise<number> {
  const dir = dirname(path)
  const made = await mkdir(dir, { recursive: true })
  const temp = join(dir, `.${basename(path)}.${randomBytes(6).toString('hex')}.partial`)
  // 'wx': never reuse a file another writer holds; flush: the bytes are on disk before the rename publishes them.
  const out = createWriteStream(temp, { flags: 'wx', flush: true })
  const source = body instanceof Readable ? body : Readable.from([Buffer.from(body)])
  try {
    await pipeline(source, out, options.signal === undefined ? {} : { signal: options.signal })
    await rename(temp, path)
    // The directories whose entries changed: the file's, and up from it to the parent of the first one made.
    const changed = [dir]
    if (made !== undefined) for (let d = dir; d !== dirname(made) && d !== dirname(d);) changed.push(d = dirname(d))
    await Promise.all(changed.map(syncDir))
    return out.bytesWritten
  } catch (err) {
    await unlink(temp).catch(() => {})
    throw err
  }
}

/** fsync of a directory, so its entries survive a power loss; where directories cannot be synced (Windows, some network filesystems), the rename stays the OS's to persist, as before. */
async function syncDir (dir: string): Promise<void> {
  const handle = await open(dir, 'r').catch(() => null)
  if (handle === null) return
  await handle.sync().catch(() => {})
  await handle.close().catch(() => {})
}
