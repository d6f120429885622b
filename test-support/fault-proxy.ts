/**
 * A seeded fault-injecting reverse proxy on 127.0.0.1, to put in front of OpenBao or the Nomad double.
 *
 * Every request gets a decision: forward it untouched, or inject one fault. The decision comes from
 * `rule(request)` when given (deterministic tests: "the 3rd POST to sys/auth/x gets a reset"), otherwise from
 * a seeded PRNG with probability `rate`, choosing among `faults`. The same seed and the same request sequence
 * give the same faults.
 *
 * Faults (what real load balancers, proxies and servers do):
 * - status-429 / status-500 / status-502 / status-503 / status-504: answered by the proxy, NOT forwarded;
 * - status-412: Vault's "required index state not present" answer (performance standby), not forwarded;
 * - html-502: a load balancer's HTML error page with status 502, not forwarded;
 * - html-200: a login/portal HTML page with status 200 (a permanent misconfiguration), not forwarded;
 * - reset-before: the connection is destroyed before anything is forwarded;
 * - reset-after: the request IS forwarded and processed upstream, then the client connection is destroyed
 *   before the answer (the ambiguous outcome: the server did it, the client does not know);
 * - truncate: forwarded, then half of the answer's body is sent with the full Content-Length and the
 *   connection is destroyed;
 * - delay: forwarded after `delayMs`;
 * - redirect: a 307 to `redirectTo` + the original path and query (or the value of `redirectTo(req)`);
 * - hang: the request is read and never answered (a server that stops answering); the connection stays open until
 *   the client gives up or the proxy is closed.
 * And `rewrite`: forwarded (the server does the request), then the answer's body is replaced (a proxy that mangles
 * a success answer: the server did it, the client cannot tell from the answer).
 */
import * as http from 'node:http'
import type { AddressInfo } from 'node:net'

export type Fault =
  | 'status-412'
  | 'status-429'
  | 'status-500'
  | 'status-502'
  | 'status-503'
  | 'status-504'
  | 'html-502'
  | 'html-200'
  | 'reset-before'
  | 'reset-after'
  | 'truncate'
  | 'delay'
  | 'redirect'
  | 'hang'

/** The faults a client must survive by retrying (a run with only these must end as the fault-free run). */
export const TRANSIENT_FAULTS: readonly Fault[] = [
  'status-429',
  'status-500',
  'status-502',
  'status-503',
  'status-504',
  'html-502',
  'reset-before',
  'reset-after',
  'truncate',
  'delay'
]

export interface ProxiedRequest {
  /** 1-based number of the request through this proxy. */
  n: number
  method: string
  /** Path and query, as received. */
  url: string
  /** Path without the query. */
  path: string
  headers: http.IncomingHttpHeaders
}

export interface FaultLogEntry {
  n: number
  method: string
  path: string
  fault?: Fault
  /** Upstream status when the request was forwarded. */
  status?: number
}

export interface FaultProxyOptions {
  /** Upstream base URL, e.g. http://127.0.0.1:8200 */
  target: string
  /** Seed of the PRNG (default 1). */
  seed?: number
  /** Probability of a fault per request, 0..1 (default 0). */
  rate?: number
  /** The faults drawn from when the PRNG decides to inject one (default TRANSIENT_FAULTS). */
  faults?: readonly Fault[]
  /** Deterministic choice per request; returning undefined falls back to the PRNG, null forwards untouched. */
  rule?: (req: ProxiedRequest) => Fault | null | undefined
  /** Requests that are never faulted (e.g. the test's own setup calls). */
  exempt?: (req: ProxiedRequest) => boolean
  /** A custom answer instead of forwarding, checked before the faults (e.g. a server error that echoes a token). */
  respond?: (req: ProxiedRequest) => { status: number; body: string; contentType?: string } | undefined
  /** Forwarded answers whose body to replace (undefined keeps it): the status stays, the body and its type change. */
  rewrite?: (req: ProxiedRequest, status: number) => { body: string; contentType?: string } | undefined
  /** Delay of the `delay` fault (default 200 ms). */
  delayMs?: number
  /** Where `redirect` points: a base URL (the original path and query are appended) or a function. */
  redirectTo?: string | ((req: ProxiedRequest) => string)
  port?: number
}

export interface FaultProxy {
  url: string
  port: number
  /** Every request, in arrival order, with the fault it got. */
  readonly log: FaultLogEntry[]
  /** Number of faults injected so far. */
  faultsInjected(): number
  /** Replace the options that decide faults (rate, faults, rule, exempt, seed resets the PRNG). */
  configure(next: Partial<Omit<FaultProxyOptions, 'target' | 'port'>>): void
  close(): Promise<void>
}

/** mulberry32: a tiny, well-distributed 32-bit PRNG; enough for reproducible fault schedules. */
export function seededRandom(seed: number): () => number {
  let a = seed >>> 0
  return () => {
    a = (a + 0x6d2b79f5) >>> 0
    let t = a
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

const HTML_502 =
  '<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n<center><h1>502 Bad Gateway</h1></center>\r\n' +
  '<hr><center>nginx</center>\r\n</body>\r\n</html>\r\n'
const HTML_200 = '<!DOCTYPE html><html><head><title>Sign in</title></head><body><form action="/login"></form></body></html>'

export async function startFaultProxy(options: FaultProxyOptions): Promise<FaultProxy> {
  const target = new URL(options.target)
  let opts = { ...options }
  let random = seededRandom(opts.seed ?? 1)
  let count = 0
  let injected = 0
  const log: FaultLogEntry[] = []
  const sockets = new Set<import('node:net').Socket>()

  function decide(req: ProxiedRequest): Fault | undefined {
    if (opts.exempt?.(req)) return undefined
    const ruled = opts.rule?.(req)
    if (ruled === null) return undefined
    if (ruled !== undefined) return ruled
    const rate = opts.rate ?? 0
    if (rate <= 0) return undefined
    // Two draws per request whatever the outcome, so that one decision does not shift the next ones.
    const hit = random() < rate
    const pick = random()
    if (!hit) return undefined
    const faults = opts.faults ?? TRANSIENT_FAULTS
    return faults[Math.floor(pick * faults.length) % faults.length]
  }

  function forward(
    req: http.IncomingMessage,
    body: Buffer,
    onResponse: (status: number, headers: http.IncomingHttpHeaders, data: Buffer) => void,
    onError: (err: Error) => void
  ): void {
    const headers = { ...req.headers, host: target.host }
    const up = http.request(
      { protocol: target.protocol, hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers },
      (res) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('end', () => onResponse(res.statusCode ?? 502, res.headers, Buffer.concat(chunks)))
        res.on('error', onError)
      }
    )
    up.on('error', onError)
    up.end(body)
  }

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = []
    req.on('data', (c: Buffer) => chunks.push(c))
    req.on('end', () => {
      const body = Buffer.concat(chunks)
      const url = req.url ?? '/'
      const info: ProxiedRequest = { n: ++count, method: req.method ?? 'GET', url, path: url.split('?')[0], headers: req.headers }
      const custom = opts.respond?.(info)
      if (custom) {
        log.push({ n: info.n, method: info.method, path: info.path, status: custom.status })
        res.writeHead(custom.status, { 'Content-Type': custom.contentType ?? 'text/plain', 'Content-Length': Buffer.byteLength(custom.body) })
        return res.end(custom.body)
      }
      const fault = decide(info)
      const entry: FaultLogEntry = { n: info.n, method: info.method, path: info.path, ...(fault ? { fault } : {}) }
      log.push(entry)
      if (fault) injected++
      const plain = (status: number, type: string, text: string) => {
        res.writeHead(status, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(text) })
        res.end(text)
      }
      const relay = (status: number, headers: http.IncomingHttpHeaders, upstream: Buffer) => {
        entry.status = status
        const replaced = opts.rewrite?.(info, status)
        const data = replaced ? Buffer.from(replaced.body) : upstream
        const h = { ...headers }
        if (replaced) h['content-type'] = replaced.contentType ?? 'application/json'
        delete h['transfer-encoding']
        h['content-length'] = String(data.length)
        res.writeHead(status, h)
        res.end(data)
      }
      const upstreamFailed = () => {
        if (!res.headersSent) plain(502, 'text/plain', 'fault proxy: upstream failed')
        else res.destroy()
      }
      switch (fault) {
        case undefined:
          return forward(req, body, relay, upstreamFailed)
        case 'status-412':
          return plain(412, 'application/json', JSON.stringify({ errors: ['required index state not present'] }))
        case 'status-429':
          return plain(429, 'application/json', JSON.stringify({ errors: ['rate limit quota exceeded'] }))
        case 'status-500':
          return plain(500, 'text/plain', 'internal error (fault proxy)')
        case 'status-502':
          return plain(502, 'text/plain', 'bad gateway (fault proxy)')
        case 'status-503':
          return plain(503, 'application/json', JSON.stringify({ errors: ['local node not active but active cluster node not found'] }))
        case 'status-504':
          return plain(504, 'text/plain', 'gateway timeout (fault proxy)')
        case 'html-502':
          return plain(502, 'text/html', HTML_502)
        case 'html-200':
          return plain(200, 'text/html', HTML_200)
        case 'reset-before':
          return req.socket.destroy()
        case 'reset-after':
          return forward(
            req,
            body,
            (status) => {
              entry.status = status
              req.socket.destroy()
            },
            () => req.socket.destroy()
          )
        case 'truncate':
          return forward(
            req,
            body,
            (status, headers, data) => {
              entry.status = status
              const h = { ...headers }
              delete h['transfer-encoding']
              h['content-length'] = String(Math.max(1, data.length))
              res.writeHead(status, h)
              res.write(data.subarray(0, Math.floor(data.length / 2)))
              // Give the half body a moment to leave, then cut the connection.
              setTimeout(() => req.socket.destroy(), 5)
            },
            () => req.socket.destroy()
          )
        case 'delay':
          return void setTimeout(() => forward(req, body, relay, upstreamFailed), opts.delayMs ?? 200)
        case 'hang':
          return
        case 'redirect': {
          const to = opts.redirectTo
          const location = typeof to === 'function' ? to(info) : `${(to ?? options.target).replace(/\/+$/, '')}${url}`
          res.writeHead(307, { Location: location, 'Content-Length': 0 })
          return res.end()
        }
      }
    })
  })
  server.on('connection', (s) => {
    sockets.add(s)
    s.on('close', () => sockets.delete(s))
  })
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, '127.0.0.1', () => resolve()))
  const port = (server.address() as AddressInfo).port
  return {
    url: `http://127.0.0.1:${port}`,
    port,
    log,
    faultsInjected: () => injected,
    configure(next) {
      opts = { ...opts, ...next }
      if (next.seed !== undefined) random = seededRandom(next.seed)
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy()
        server.close(() => resolve())
      })
  }
}
