import { once } from 'node:events'
import { createServer } from 'node:http'
import type { AddressInfo } from 'node:net'

/** A store that takes every request's body and never answers: only the client can end its requests. */
export interface SilentStore {
  readonly endpoint: string
  /** Requests that reached it. */
  readonly requests: number
  /** Their connections closed since (by the client: the store never closes one). */
  readonly closed: number
  close: () => Promise<void>
}

/** Starts a {@link SilentStore} on a free loopback port. */
export async function startSilentStore (): Promise<SilentStore> {
  let requests = 0
  let closed = 0
  const server = createServer((req) => {
    requests++
    req.resume()
    req.socket.once('close', () => { closed++ })
  })
  server.listen(0, '127.0.0.1')
  await once(server, 'listening')
  return {
    endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    get requests () { return requests },
    get closed () { return closed },
    close: async () => {
      server.closeAllConnections()
      server.close()
      await once(server, 'close')
    }
  }
}
