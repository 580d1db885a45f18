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
   * are dropped), and new ones are accepted but pass nothing either, until
   * {@link FreezeProxy.thaw}.
   */
  freeze (): void
  /** New connections pass again; the ones frozen stay dead, as after a real cut. */
  thaw (): void
  /** Connections accepted so far. */
  readonly accepted: number
  close (): Promise<void>
}

/** A proxy on a free 127.0.0.1 port in front of `127.0.0.1:targetPort`. */
export async function startFreezeProxy (targetPort: number): Promise<FreezeProxy> {
  let frozen = false
  let accepted = 0
  const live = new Set<{ client: Socket, upstream: Socket | null, dead: boolean }>()
  const server = createServer((client) => {
    accepted++
    const pair: { client: Socket, upstream: Socket | null, dead: boolean } = { client, upstream: null, dead: frozen }
    live.add(pair)
    client.on('error', () => {})
    client.on('close', () => { pair.upstream?.destroy(); live.delete(pair) })
    if (pair.dead) return void client.resume() // accepted, never answered
    const upstream = pair.upstream = createConnection(targetPort, '127.0.0.1')
    upstream.on('error', () => { client.destroy() })
    upstream.on('close', () => { if (!pair.dead) client.destroy() })
    client.on('data', (data: Buffer) => { if (!pair.dead) upstream.write(data) })
    upstream.on('data', (data: Buffer) => { if (!pair.dead) client.write(data) })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const port = (server.address() as AddressInfo).port
  return {
    url: (scheme) => `${scheme}://127.0.0.1:${port}`,
    freeze () {
      frozen = true
      for (const pair of live) pair.dead = true
    },
    thaw () { frozen = false },
    get accepted () { return accepted },
    async close () {
      for (const { client, upstream } of live) { client.destroy(); upstream?.destroy() }
      await new Promise<void>((resolve) => server.close(() => { resolve() }))
    }
  }
}
