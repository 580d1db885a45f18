import { createServer, request as httpRequest, Agent, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse, type OutgoingHttpHeaders } from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { pipeline } from 'node:stream'
import { prng } from './prng.js'

/**
 * What the proxy can do to a request instead of (or after) forwarding it:
 * - `slowDown`: 503 SlowDown (throttling) without forwarding;
 * - `internalError`: 500 InternalError without forwarding;
 * - `accessDenied`: 403 AccessDenied without forwarding (a permanent error);
 * - `reset`: the socket is destroyed once the request starts arriving;
 * - `stall`: the body is read, no answer is sent until the client gives up
 *   (or, with `stallMs`, until the proxy resets the connection after that long);
 * - `lostResponse`: forwarded and handled by the server, then the socket is
 *   destroyed before the answer reaches the client (the retry repeats a request
 *   that already took effect);
 * - `answerWithheld`: forwarded and handled by the server, then no answer is
 *   sent until the client gives up (a write that took effect, unknown to the client).
 */
export type FaultKind = 'slowDown' | 'internalError' | 'accessDenied' | 'reset' | 'stall' | 'lostResponse' | 'answerWithheld'

/** S3 operations, told apart by method, path (path-style) and query string. */
export type RequestKind =
  | 'CreateBucket' | 'ListObjects' | 'PutObject' | 'GetObject' | 'HeadObject' | 'DeleteObject'
  | 'CreateMultipartUpload' | 'UploadPart' | 'CompleteMultipartUpload' | 'AbortMultipartUpload'
  | 'ListMultipartUploads' | 'ListParts' | 'Other'

export interface FaultProxyOptions {
  /** The real server, e.g. s3rver's `http://127.0.0.1:PORT`. */
  target: string
  /** Probability (0..1) of each fault per eligible request; they add up (at most 1). */
  rates?: Partial<Record<FaultKind, number>>
  /** Seed of the PRNG drawing the faults. Default 1. */
  seed?: number
  /** Only these request kinds are faulted. Default: every kind. */
  only?: readonly RequestKind[]
  /** Stop injecting after this many faults in total. Default: no limit. */
  maxFaults?: number
  /**
   * At most this many faults per request (all attempts of one request share
   * its method and URL). Default: no limit. Specs of the defaults must not
   * set it: retries have to get through unaided.
   */
  maxFaultsPerRequest?: number
  /**
   * A stall ends after this many ms by resetting the connection, as a
   * stalled store's connection is eventually cut. Default: never (the client
   * gives up on its own timeout).
   */
  stallMs?: number
  /**
   * Answer `If-None-Match: *` on PutObject and CompleteMultipartUpload as S3
   * does (s3rver ignores the header): when the key already holds an object
   * (a HEAD upstream says so), 412 PreconditionFailed without forwarding.
   * Default `false`.
   */
  conditionalWrites?: boolean
  /**
   * Picks the fault of each request by hand (`null`: forward it), for exact
   * scenarios ("part 2 is denied, part 1 stalls"). Replaces `rates`; `only`,
   * `maxFaults` and `maxFaultsPerRequest` still apply.
   */
  choose?: (request: RequestInfo) => FaultKind | null
}

/** What `choose` is told about a request. */
export interface RequestInfo {
  kind: RequestKind
  method: string
  url: string
  /** `partNumber` of an UploadPart. */
  partNumber: number | undefined
  /**
   * Which time this same request (method and URL) arrives, from 1: retries
   * of the sink and of the SDK alike count up.
   */
  attempt: number
}

/** One request the proxy saw, and what it did to it. */
export interface ProxyEvent extends RequestInfo {
  fault: FaultKind | null
  /** The request's headers as they arrived (names in lower case): what the client asked the store for. */
  headers: IncomingHttpHeaders
}

export interface FaultProxy {
  /** `http://127.0.0.1:PORT`: use as the client's endpoint (with forcePathStyle). */
  endpoint: string
  /** Faults injected so far, per kind. */
  readonly faults: Record<FaultKind, number>
  /** Every request seen, in arrival order. */
  readonly events: readonly ProxyEvent[]
  /** Conditional writes answered 412 (with `conditionalWrites`). */
  readonly preconditionFailed: number
  /** Requests of a kind seen (attempts, retries included). */
  count (kind: RequestKind): number
  /** Total faults injected. */
  readonly totalFaults: number
  close (): Promise<void>
}

const FAULT_KINDS: readonly FaultKind[] = ['slowDown', 'internalError', 'accessDenied', 'reset', 'stall', 'lostResponse', 'answerWithheld']
const ERRORS = {
  slowDown: { status: 503, code: 'SlowDown', message: 'Please reduce your request rate.' },
  internalError: { status: 500, code: 'InternalError', message: 'We encountered an internal error. Please try again.' },
  accessDenied: { status: 403, code: 'AccessDenied', message: 'Access Denied' },
  preconditionFailed: { status: 412, code: 'PreconditionFailed', message: 'At least one of the pre-conditions you specified did not hold' }
} as const
// Per-connection headers must not be forwarded as they are (RFC 9110 §7.6.1);
// `expect` is answered by this proxy's own server.
const HOP_BY_HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'te', 'trailer', 'upgrade', 'expect'])


/** Tells which S3 operation a path-style request is. */
export function requestKind (method: string, url: string): RequestKind {
  const { pathname, searchParams: q } = new URL(url, 'http://x')
  const hasKey = pathname.replace(/^\/+/, '').includes('/') && !pathname.endsWith('/')
  if (!hasKey) {
    if (method === 'PUT') return 'CreateBucket'
    if (method === 'GET' && q.has('uploads')) return 'ListMultipartUploads'
    if (method === 'GET') return 'ListObjects'
    return 'Other'
  }
  if (method === 'PUT') return q.has('partNumber') && q.has('uploadId') ? 'UploadPart' : 'PutObject'
  if (method === 'POST' && q.has('uploads')) return 'CreateMultipartUpload'
  if (method === 'POST' && q.has('uploadId')) return 'CompleteMultipartUpload'
  if (method === 'DELETE') return q.has('uploadId') ? 'AbortMultipartUpload' : 'DeleteObject'
  if (method === 'GET') return q.has('uploadId') ? 'ListParts' : 'GetObject'
  if (method === 'HEAD') return 'HeadObject'
  return 'Other'
}

function forwardable (headers: IncomingMessage['headers']): OutgoingHttpHeaders {
  const out: OutgoingHttpHeaders = {}
  for (const [name, value] of Object.entries(headers)) if (value !== undefined && !HOP_BY_HOP.has(name)) out[name] = value
  return out
}

function errorXml (code: string, message: string, id: number): string {
  return `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${code}</Code><Message>${message}</Message>` +
    `<RequestId>FAULT${id}</RequestId><HostId>fault-proxy</HostId></Error>`
}

/**
 * An HTTP proxy on 127.0.0.1 (port 0) in front of a real S3-compatible server
 * that injects faults at seeded, reproducible rates. Bodies stream through in
 * both directions with their headers; the Host header is kept, which s3rver
 * accepts since it does not check signatures.
 */
export async function startFaultProxy (options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target)
  const random = prng(options.seed ?? 1)
  const rates = FAULT_KINDS.map((kind) => [kind, options.rates?.[kind] ?? 0] as const)
  const only = options.only === undefined ? null : new Set(options.only)
  const maxFaults = options.maxFaults ?? Infinity
  const maxPerRequest = options.maxFaultsPerRequest ?? Infinity
  const agent = new Agent({ keepAlive: true })
  const sockets = new Set<Socket>()
  const perInvocation = new Map<string, number>()
  const seen = new Map<string, number>()
  const faults = Object.fromEntries(FAULT_KINDS.map((k) => [k, 0])) as Record<FaultKind, number>
  const events: ProxyEvent[] = []
  let total = 0

  function draw (info: RequestInfo, invocation: string): FaultKind | null {
    if ((only !== null && !only.has(info.kind)) || total >= maxFaults) return null
    if ((perInvocation.get(invocation) ?? 0) >= maxPerRequest) return null
    if (options.choose !== undefined) return options.choose(info)
    let r = random()
    for (const [fault, rate] of rates) {
      if (r < rate) return fault
      r -= rate
    }
    return null
  }

  function forward (req: IncomingMessage, res: ServerResponse, answer: 'send' | 'lose' | 'withhold'): void {
    const upstream = httpRequest({
      host: target.hostname, port: target.port, method: req.method, path: req.url, headers: forwardable(req.headers), agent
    }, (upRes) => {
      if (answer !== 'send') {
        upRes.resume()
        if (answer === 'lose') upRes.on('end', () => { req.socket.destroy() })
        return
      }
      // The client may have gone (an aborted request) while the store answered: Node 24's
      // pipeline() throws at once for a destroyed destination instead of calling back.
      if (res.destroyed) { upRes.resume(); return }
      res.writeHead(upRes.statusCode ?? 502, forwardable(upRes.headers))
      pipeline(upRes, res, () => {})
    })
    pipeline(req, upstream, (err) => { if (err !== undefined && err !== null) req.socket.destroy() })
    upstream.on('error', () => { req.socket.destroy() })
  }

  let refused = 0
  /** S3's `If-None-Match: *`: a key that holds an object refuses the write. */
  function forwardUnlessPresent (req: IncomingMessage, res: ServerResponse, url: string): void {
    const head = httpRequest({ host: target.hostname, port: target.port, method: 'HEAD', path: new URL(url, 'http://x').pathname, agent }, (headRes) => {
      headRes.resume()
      if (headRes.statusCode !== 200) return forward(req, res, 'send')
      refused++
      const { status, code, message } = ERRORS.preconditionFailed
      const body = errorXml(code, message, refused)
      req.resume()
      req.on('end', () => {
        res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) })
        res.end(body)
      })
    })
    head.on('error', () => { req.socket.destroy() })
    head.end()
  }

  const server = createServer((req, res) => {
    const method = req.method ?? 'GET'
    const url = req.url ?? '/'
    const invocation = `${method} ${url}`
    const attempt = (seen.get(invocation) ?? 0) + 1
    seen.set(invocation, attempt)
    const partNumber = new URL(url, 'http://x').searchParams.get('partNumber')
    const info: RequestInfo = {
      kind: requestKind(method, url),
      method,
      url,
      partNumber: partNumber === null ? undefined : Number(partNumber),
      attempt
    }
    const fault = draw(info, invocation)
    events.push({ ...info, fault, headers: { ...req.headers } })
    if (fault !== null) {
      total++
      faults[fault]++
      perInvocation.set(invocation, (perInvocation.get(invocation) ?? 0) + 1)
    }
    const conditional = options.conditionalWrites === true && req.headers['if-none-match'] === '*' &&
      (info.kind === 'PutObject' || info.kind === 'CompleteMultipartUpload')
    switch (fault) {
      case null: return conditional ? forwardUnlessPresent(req, res, url) : forward(req, res, 'send')
      case 'lostResponse': return forward(req, res, 'lose')
      case 'answerWithheld': return forward(req, res, 'withhold')
      case 'reset': {
        const cut = (): void => { req.socket.destroy() }
        req.once('data', cut)
        req.once('end', cut)
        return
      }
      case 'stall': {
        req.resume()
        if (options.stallMs !== undefined) {
          const timer = setTimeout(() => { req.socket.destroy() }, options.stallMs)
          req.socket.once('close', () => { clearTimeout(timer) })
        }
        return
      }
      default: {
        const { status, code, message } = ERRORS[fault]
        const body = method === 'HEAD' ? '' : errorXml(code, message, total)
        req.resume()
        req.on('end', () => {
          res.writeHead(status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(body) })
          res.end(body)
        })
      }
    }
  })
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as AddressInfo

  return {
    endpoint: `http://127.0.0.1:${port}`,
    faults,
    events,
    count: (kind) => events.filter((e) => e.kind === kind).length,
    get totalFaults () { return total },
    get preconditionFailed () { return refused },
    async close () {
      const closed = new Promise<void>((resolve) => server.close(() => { resolve() }))
      // Stalled requests would keep close() waiting forever.
      for (const socket of sockets) socket.destroy()
      agent.destroy()
      await closed
    }
  }
}
