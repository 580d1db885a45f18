// Runs s3rver in its own process, so the server's work does not share the
// benchmark's main thread. Tells the parent its port over IPC; exits when the
// parent disconnects.
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { AddressInfo } from 'node:net'
// @ts-expect-error s3rver ships no types
import S3rver from 's3rver'

const directory = await mkdtemp(join(tmpdir(), 'bench-s3rver-'))
const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true })
const { port } = await server.run() as AddressInfo
process.send?.({ port, directory })

async function stop (): Promise<void> {
  await server.close()
  await rm(directory, { recursive: true, force: true })
  process.exit(0)
}
process.on('disconnect', () => { void stop() })
process.on('SIGTERM', () => { void stop() })
