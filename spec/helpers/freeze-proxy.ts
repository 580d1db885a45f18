import { createConnection, createServer, type AddressInfo, type Socket } from 'node:net'

/**
 * A TCP proxy that can go silent as a cut network does: no FIN, no RST, no
 * error, just nothing more arriving either way.
 */
export interface FreezeProxy {
  /** `127.0.0.1:PORT` style URL of the proxy, with `scheme`. */
  url (scheme: string): string
  /**
   * From now on the connections open so far pass nothing, ever (their bytes
   * are dropped), and new ones are accepted but held, their bytes kept, until
   * {@link FreezeProxy.thaw}.
   */
  freeze (): void
  /** The held connections go through (late, as after a network heals); the ones frozen stay dead, as after a real cut. */
  thaw (): void
  /** Connections accepted so far. */
  readonly accepted: number
  close (): Promise<void>
}

/**
 * A proxy on a free 127.0.0.1 port in front of `127.0.0.1:targetPort`.
 * `freezeWhen` goes silent by itself the first time a client sends bytes it
 * matches, before they pass (a cut at a chosen request).
 */
export async function startFreezeProxy (targetPort: number, freezeWhen?: (chunk: Buffer) => boolean): Promise<FreezeProxy> {
  let frozen = false
  let armed = freezeWhen
  let accepted = 0
  interface Pair { client: Socket, upstream: Socket | null, dead: boolean }
  const live = new Set<Pair>()
  const held: Array<{ pair: Pair, data: Buffer[], keep: (chunk: Buffer) => void }> = []
  const connect = (pair: Pair, data: Buffer[] = []): void => {
    const { client } = pair
    const upstream = pair.upstream = createConnection(targetPort, '127.0.0.1')
    upstream.on('error', () => { client.destroy() })
    upstream.on('close', () => { if (!pair.dead) client.destroy() })
    for (const chunk of data) upstream.write(chunk)
    client.on('data', (chunk: Buffer) => {
      if (armed?.(chunk) === true) {
        armed = undefined
        proxy.freeze()
      }
      if (!pair.dead) upstream.write(chunk)
    })
    upstream.on('data', (chunk: Buffer) => { if (!pair.dead) client.write(chunk) })
  }
  const server = createServer((client) => {
    accepted++
    const pair: Pair = { client, upstream: null, dead: false }
    live.add(pair)
    client.on('error', () => {})
    client.on('close', () => { pair.upstream?.destroy(); live.delete(pair) })
    if (!frozen) return connect(pair)
    const data: Buffer[] = []
    const keep = (chunk: Buffer): void => { data.push(chunk) }
    client.on('data', keep)
    held.push({ pair, data, keep })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  const proxy: FreezeProxy = {
    url: (scheme) => `${scheme}://127.0.0.1:${port}`,
    freeze () {
      frozen = true
      for (const pair of live) pair.dead = true
    },
    thaw () {
      frozen = false
      for (const { pair, data, keep } of held.splice(0)) {
        pair.client.off('data', keep)
        if (!pair.client.destroyed) connect(pair, data)
      }
    },
    get accepted () { return accepted },
    async close () {
      for (const { client, upstream } of live) { client.destroy(); upstream?.destroy() }
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }
  return proxy
}
