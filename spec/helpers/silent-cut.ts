import { once } from 'node:events'
import type { Readable } from 'node:stream'
import { onDurable, type DurableRecord } from '../../lib/durable.js'
import { waitUntil } from './cli-worker.js'
import { startFreezeProxy } from './freeze-proxy.js'

/** What {@link silentCut} needs of a log: its server, how to build a source on it, how to add to it. */
export interface SilentCutLog {
  /** The log server's port on 127.0.0.1, and its clients' URL scheme. */
  port: number
  scheme: string
  /** A source on `url` reading as group/durable `name`, with default options but `reconnectTimeoutMs` when given. */
  source: (url: string, name: 'heal' | 'cut', reconnectTimeoutMs?: number) => Readable
  publish: (records: object[]) => Promise<void>
  /** Whether the `'heal'` reader has nothing unacknowledged on the server. */
  settled: () => Promise<boolean>
  /** How long the healing reader may take to notice the silence and connect again. */
  noticeWithinMs: number
}

/** What happened: when the healing reader connected again and when the cut one failed, in ms after the cut. */
export interface SilentCutResult {
  noticedMs: number
  failedMs: number
  error: Error & { code: string }
}

/**
 * A cut network for two sources of one log at once (no FIN, no RST: their
 * proxies go silent). One network heals once its source has connected again,
 * and that source must read on; the other never does, and its source (built
 * with `reconnectTimeoutMs` 2000) must fail.
 *
 * @example
 * ```ts
 * const { noticedMs, error } = await silentCut(log)
 * expect(error.code).to.equal('ERR_SOURCE_CONNECTION')
 * ```
 */
export async function silentCut (log: SilentCutLog): Promise<SilentCutResult> {
  const [healing, cut] = await Promise.all([startFreezeProxy(log.port), startFreezeProxy(log.port)])
  try {
    await log.publish([{ i: 1 }])
    const read = log.source(healing.url(log.scheme), 'heal')
    const failing = log.source(cut.url(log.scheme), 'cut', 2000)
    const failed = once(failing, 'error') as Promise<[Error & { code: string }]>
    failing.resume()
    const [first] = await takeKeep(read, 1)
    first![onDurable]!()
    await waitUntil(log.settled, 5000, 'the first record acknowledged')
    const start = Date.now()
    const accepted = healing.accepted
    healing.freeze()
    cut.freeze()
    const healed = (async () => {
      // The reader's connection goes unanswered: it is closed and made again.
      await waitUntil(() => healing.accepted > accepted, log.noticeWithinMs, 'the healing source to connect again')
      const noticedMs = Date.now() - start
      healing.thaw()
      await log.publish([{ i: 2 }])
      const more = await takeKeep(read, 1)
      if (more.length !== 1 || more[0]!.i !== 2 || read.destroyed) throw new Error('the healed source did not read on')
      return noticedMs
    })()
    const [noticedMs, [error]] = await Promise.all([healed, failed])
    return { noticedMs, failedMs: Date.now() - start, error }
  } finally {
    await Promise.all([healing.close(), cut.close()])
  }
}

/** Reads `n` records without ending the stream; fewer if it ends or is destroyed first. */
export async function takeKeep (stream: Readable, n: number): Promise<DurableRecord[]> {
  const out: DurableRecord[] = []
  while (out.length < n) {
    const record = stream.read() as DurableRecord | null
    if (record !== null) { out.push(record); continue }
    if (stream.readableEnded || stream.destroyed) break
    await new Promise<void>((resolve) => {
      const done = (): void => { stream.off('readable', done); stream.off('end', done); stream.off('close', done); resolve() }
      stream.on('readable', done)
      stream.on('end', done)
      stream.on('close', done)
    })
  }
  return out
}
