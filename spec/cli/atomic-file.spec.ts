import { createRequire, syncBuiltinESMExports } from 'node:module'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { expect } from 'chai'
import { writeFileAtomic } from '../../lib/cli/atomic-file.js'

/** node:fs/promises as a mutable object: patched here and synced into every ES module's bindings (syncBuiltinESMExports). */
const fsp = createRequire(import.meta.url)('node:fs/promises') as typeof import('node:fs/promises')

describe('writeFileAtomic', () => {
  let dir: string
  beforeEach(async () => { dir = await mkdtemp(join(tmpdir(), 'atomic-')) })
  afterEach(async () => { await rm(dir, { recursive: true, force: true }) })

  // A rename is durable only once its directory is synced: fsync of the file alone leaves its new name in the page
  // cache, and a power loss after onDurable could take the file (and the acknowledged records) away. The same holds
  // for the entries of directories made for it.
  it('syncs the file\'s directory after the rename, and the parents of the directories it made, before resolving', async () => {
    const events: string[] = []
    const { open, rename } = fsp
    fsp.rename = async (from, to) => { await rename(from, to); events.push(`rename ${String(to)}`) }
    fsp.open = async (path, ...rest) => {
      const handle = await open(path, ...rest)
      const sync = handle.sync.bind(handle)
      handle.sync = async () => { await sync(); events.push(`sync ${String(path)}`) }
      return handle
    }
    syncBuiltinESMExports()
    const path = join(dir, 'runs', '2026', 'batch.gz')
    try {
      await writeFileAtomic(path, Buffer.from('whole'))
    } finally {
      fsp.rename = rename
      fsp.open = open
      syncBuiltinESMExports()
    }
    expect(await readFile(path, 'utf8')).to.equal('whole')
    expect(events[0]).to.equal(`rename ${path}`)
    expect(events.slice(1).sort()).to.deep.equal([`sync ${dir}`, `sync ${join(dir, 'runs')}`, `sync ${dirname(path)}`].sort())
  })
})
