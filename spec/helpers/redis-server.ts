import type { ChildProcess } from 'node:child_process'
import { mkdtemp, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Redis } from 'ioredis'
import { findServer, freePort, startProcess, stopProcess } from './server-process.js'

/** A real redis-server on a free 127.0.0.1 port, nothing persisted. */
export interface LocalRedis {
  port: number
  url: string
  /** A client for the spec's own commands (XADD, XPENDING...). */
  client: Redis
  /** The server process's id (the benchmark reads its CPU time). */
  readonly pid: number | undefined
  /** Kills the server (SIGKILL: a crash) without forgetting its port. */
  crash (): Promise<void>
  /** Starts it again on the same port, empty. */
  restart (): Promise<void>
  close (): Promise<void>
}

export async function startRedis (extraArgs: string[] = []): Promise<LocalRedis> {
  const bin = findServer('redis-server')
  const port = await freePort()
  const dir = await mkdtemp(join(tmpdir(), 'redis-'))
  const args = ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', '--dir', dir, ...extraArgs]
  let child: ChildProcess = await startProcess(bin, args, /Ready to accept connections/)
  const url = `redis://127.0.0.1:${port}`
  const password = extraArgs[extraArgs.indexOf('--requirepass') + 1]
  const client = new Redis(port, '127.0.0.1', { maxRetriesPerRequest: null, password: extraArgs.includes('--requirepass') ? password : undefined })
  client.on('error', () => {})
  return {
    port,
    url,
    client,
    get pid () { return child.pid },
    async crash () { await stopProcess(child, 'SIGKILL') },
    async restart () { child = await startProcess(bin, args, /Ready to accept connections/) },
    async close () {
      client.disconnect()
      await stopProcess(child)
      await rm(dir, { recursive: true, force: true })
    }
  }
}

/** Adds `records` to `stream` as entries with a `record` field holding their JSON, in pipelined chunks. */
export async function addRecords (client: Redis, stream: string, records: readonly unknown[], field = 'record'): Promise<void> {
  for (let i = 0; i < records.length; i += 1000) {
    const pipe = client.pipeline()
    for (const record of records.slice(i, i + 1000)) pipe.xadd(stream, '*', field, typeof record === 'string' ? record : JSON.stringify(record))
    await pipe.exec()
  }
}

/** Entries pending in `group` (read, not acknowledged). */
export async function pendingCount (client: Redis, stream: string, group: string): Promise<number> {
  const reply = await client.xpending(stream, group) as [number, ...unknown[]]
  return Number(reply[0])
}
