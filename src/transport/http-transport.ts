/**
 * The one HTTP transport for Vault, Nomad and the JWKS/OIDC fetch (node:http/https; no other HTTP stack runs).
 *
 * - per-attempt timeout (input request-timeout) and retries with jittered backoff (input max-retries), bounded
 *   by attempts, by time per request and by the whole run's budget (retry.ts);
 * - one classification of transient failures: connection refused/reset/cut, timeouts, truncated bodies, and
 *   HTTP 412, 429, 500, 502, 503, 504. Only requests the caller marks `idempotent` (default: GET and HEAD) are
 *   repeated after the request may have reached the server; a refused connection is always safe to retry;
 * - redirects: only to the same origin (scheme, host and port) as the configured address, at most 5; anything
 *   else is a RedirectError naming the Location, so a token never leaves the configured origin or HTTPS;
 * - proxies from HTTPS_PROXY/HTTP_PROXY/NO_PROXY (proxy.ts) and TLS with a CA, a client certificate and key,
 *   and a server-name override;
 * - errors: NetworkError/RedirectError with one message per failure kind (http-errors.ts), redacted.
 */
import * as http from 'node:http'
import * as https from 'node:https'
import type { Socket } from 'node:net'
import * as tls from 'node:tls'
import { classifyNetworkError, NetworkError, networkMessage, RedirectError, transientKind, type ServerInputs } from './http-errors.js'
import { connectTunnel, proxyAuthorization, proxyFor } from './proxy.js'
import { redact, safeUrl } from './redact.js'
import { backoffMs, currentRunBudget, mayRetry, retryDefaults, sleep, TRANSIENT_STATUSES, type RetryPolicy } from './retry.js'

export interface TlsSettings {
  /** PEM of the CA bundle to trust (replaces the system store when set). */
  ca?: string
  /** Turn off verification: only when the user asked for it explicitly. */
  insecure?: boolean
  /** PEM client certificate and key (mTLS). */
  cert?: string
  key?: string
  /** TLS server name (SNI and certificate host check) when it differs from the address's host. */
  servername?: string
}

export interface TransportOptions {
  /** The configured address; its origin is the only one a request (and its token) may go to. */
  base: string
  /** Names for messages: server and inputs. */
  server: ServerInputs
  tls?: TlsSettings
  /** Per-attempt timeout in ms (default 30 s). */
  timeoutMs?: number
  retry?: Partial<RetryPolicy>
  /** Called before each attempt (tests, bench): method and path without the query. */
  onRequest?: (method: string, path: string) => void
  /** Secrets to remove from messages besides the registered ones (redact.ts). */
  secrets?: () => (string | undefined)[]
}

export interface TransportRequest {
  method: string
  /** Path (and query) under the base address, e.g. "/v1/jobs?namespace=x"; or an absolute URL on the same origin. */
  path: string
  headers?: Record<string, string>
  body?: string
  /** Safe to repeat after it may have reached the server (default: GET/HEAD). */
  idempotent?: boolean
  /** This attempt's timeout, e.g. for a blocking query (default: the transport's). */
  timeoutMs?: number
  /** Which answers are transient (default: TRANSIENT_STATUSES); still only repeated when safe (see request()). */
  retryOn?: (status: number, body: string) => boolean
  /** Aborts the request (e.g. a blocking query nobody waits for any more); an aborted request is never retried. */
  signal?: AbortSignal
}

export interface TransportResponse {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
  /** Attempts made (1 without retries). */
  attempts: number
  /** true when an earlier attempt of this request may have reached the server (a write may already be done). */
  retriedAfterAmbiguous: boolean
}

interface RawError extends Error {
  code?: string
  /** The request was fully written before it failed. */
  sent?: boolean
}

const MAX_REDIRECTS = 5

export class Transport {
  readonly origin: string
  readonly shownAddr: string
  private readonly baseUrl: URL
  private readonly timeoutMs: number
  private readonly retry: RetryPolicy
  private readonly agent: http.Agent

  constructor(readonly options: TransportOptions) {
    this.baseUrl = new URL(options.base)
    this.origin = this.baseUrl.origin
    this.shownAddr = safeUrl(options.base).replace(/\/$/, '')
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.retry = { ...retryDefaults(), ...(options.retry ?? {}) }
    const t = options.tls ?? {}
    this.agent = this.baseUrl.protocol === 'https:' ? new https.Agent({ keepAlive: true, ...tlsOptions(t) }) : new http.Agent({ keepAlive: true })
  }

  /** Sends a request, retrying transient failures; resolves with any HTTP answer, rejects with NetworkError/RedirectError. */
  async request(req: TransportRequest): Promise<TransportResponse> {
    const method = req.method.toUpperCase()
    const idempotent = req.idempotent ?? (method === 'GET' || method === 'HEAD')
    const transient = req.retryOn ?? ((status: number) => TRANSIENT_STATUSES.has(status))
    const started = Date.now()
    let retries = 0
    let ambiguous = false
    for (;;) {
      let res: TransportResponse | undefined
      let failure: NetworkError | undefined
      let raw: RawError | undefined
      try {
        res = await this.followRedirects(method, req)
      } catch (err) {
        if (err instanceof RedirectError || req.signal?.aborted) throw err
        raw = err as RawError
        const code = raw.code ?? 'ERROR'
        const kind = classifyNetworkError(code, raw.message)
        const maybeSent = raw.sent === true || kind === 'timeout' || kind === 'reset'
        const pathShown = shownPath(req.path)
        failure = new NetworkError(
          redact(networkMessage(this.options.server, this.shownAddr, method, pathShown, code, kind, retries + 1), this.secrets()),
          method,
          pathShown,
          code,
          kind,
          maybeSent || ambiguous
        )
        const retryable = transientKind(kind, code) && (idempotent || kind === 'refused' || (kind === 'dns' && !maybeSent))
        if (maybeSent) ambiguous = true
        if (!retryable) throw failure
      }
      if (res) {
        res.retriedAfterAmbiguous = ambiguous
        res.attempts = retries + 1
        // A 429/503 was answered without doing the request; other statuses only for requests safe to repeat.
        const retryStatus = transient(res.status, res.body) && (idempotent || res.status === 429 || res.status === 503)
        if (!retryStatus) return res
      }
      const retryAfter = res ? Number(firstHeader(res.headers['retry-after'])) : undefined
      const delay = backoffMs(this.retry, retries, Math.random, retryAfter)
      if (!mayRetry(this.retry, retries, started, delay, currentRunBudget())) {
        if (res) return res
        throw failure as NetworkError
      }
      retries++
      await sleep(delay, req.signal)
    }
  }

  private secrets(): (string | undefined)[] {
    return this.options.secrets?.() ?? []
  }

  private async followRedirects(method: string, req: TransportRequest): Promise<TransportResponse> {
    let url = /^[a-z][a-z0-9+.-]*:/i.test(req.path)
      ? new URL(req.path)
      : new URL(`${this.baseUrl.href.replace(/\/+$/, '')}${req.path.startsWith('/') ? '' : '/'}${req.path}`)
    if (url.origin !== this.origin) {
      throw new RedirectError(this.options.server, method, shownPath(req.path), 0, safeUrl(url), 'origin')
    }
    let m = method
    let body = req.body
    for (let hop = 0; ; hop++) {
      this.options.onRequest?.(m, url.pathname)
      const res = await this.once(m, url, req.headers ?? {}, body, req.timeoutMs ?? this.timeoutMs, req.signal)
      if (![301, 302, 303, 307, 308].includes(res.status) || !res.headers.location) return res
      const location = new URL(firstHeader(res.headers.location) ?? '', url)
      const shownLoc = safeUrl(location)
      if (location.protocol === 'http:' && this.baseUrl.protocol === 'https:') {
        throw new RedirectError(this.options.server, method, shownPath(req.path), res.status, shownLoc, 'downgrade')
      }
      if (location.origin !== this.origin) {
        throw new RedirectError(this.options.server, method, shownPath(req.path), res.status, shownLoc, 'origin')
      }
      if (hop + 1 >= MAX_REDIRECTS) throw new RedirectError(this.options.server, method, shownPath(req.path), res.status, shownLoc, 'too-many')
      if (res.status === 303 || ((res.status === 301 || res.status === 302) && m === 'POST')) {
        m = 'GET'
        body = undefined
      }
      url = location
    }
  }

  /** One attempt: resolves with the full answer, rejects with a RawError (code, sent). */
  private async once(
    method: string,
    url: URL,
    headers: Record<string, string>,
    body: string | undefined,
    timeoutMs: number,
    signal?: AbortSignal
  ): Promise<TransportResponse> {
    const isHttps = url.protocol === 'https:'
    const proxy = proxyFor(url)
    const h: Record<string, string> = { ...headers }
    if (body !== undefined) h['Content-Length'] = String(Buffer.byteLength(body))
    const options: https.RequestOptions = { method, headers: h, timeout: timeoutMs, agent: this.agent, ...(signal ? { signal } : {}) }
    let target: URL | string = url
    if (proxy && isHttps) {
      let tunnel: Socket
      try {
        tunnel = await connectTunnel(proxy, url, timeoutMs)
      } catch (e) {
        throw Object.assign(e as RawError, { sent: false, code: (e as RawError).code === 'ETIMEDOUT' ? 'ETIMEDOUT' : 'EPROXY' })
      }
      const t = this.options.tls ?? {}
      // No agent: Node then opens the connection with createConnection (over the tunnel).
      options.agent = undefined
      options.createConnection = () =>
        tls.connect({ socket: tunnel, servername: t.servername ?? (isIp(url.hostname) ? undefined : url.hostname), ...tlsOptions(t) })
    } else if (proxy) {
      // Plain HTTP through the proxy: the absolute URL as the request target.
      options.agent = false
      options.host = proxy.hostname.replace(/^\[|\]$/g, '')
      options.port = proxy.port || 80
      options.path = url.href
      h.Host = url.host
      const auth = proxyAuthorization(proxy)
      if (auth) h['Proxy-Authorization'] = auth
      target = ''
    }
    const mod = isHttps ? https : http
    return new Promise((resolve, reject) => {
      let sent = false
      const fail = (e: RawError) => reject(Object.assign(e, { sent }))
      const onResponse = (res: http.IncomingMessage) => {
        const chunks: Buffer[] = []
        res.on('data', (c: Buffer) => chunks.push(c))
        res.on('error', (e: RawError) => fail(Object.assign(e, { code: e.code ?? 'ECONNRESET' })))
        res.on('aborted', () => fail(Object.assign(new Error('the connection closed before the whole answer arrived'), { code: 'ETRUNCATED' })))
        res.on('end', () => {
          const data = Buffer.concat(chunks)
          const expected = Number(res.headers['content-length'])
          if (!res.complete || (Number.isFinite(expected) && res.headers['content-length'] !== undefined && data.length < expected)) {
            return fail(Object.assign(new Error('the answer was cut short'), { code: 'ETRUNCATED' }))
          }
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: data.toString('utf8'), attempts: 1, retriedAfterAmbiguous: false })
        })
      }
      const r = target === '' ? mod.request(options, onResponse) : mod.request(target, options, onResponse)
      r.on('finish', () => (sent = true))
      r.on('timeout', () => r.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })))
      r.on('error', (e: RawError) => fail(e))
      r.end(body)
    })
  }
}

export function tlsOptions(t: TlsSettings): tls.ConnectionOptions {
  const o: tls.ConnectionOptions = { rejectUnauthorized: t.insecure !== true }
  if (t.ca) o.ca = t.ca
  if (t.cert) o.cert = t.cert
  if (t.key) o.key = t.key
  if (t.servername) {
    o.servername = t.servername
    // Check the certificate against the override name, not the address's host.
    o.checkServerIdentity = (_host, cert) => tls.checkServerIdentity(t.servername as string, cert)
  }
  return o
}

function isIp(host: string): boolean {
  return /^[\d.]+$/.test(host) || host.includes(':') || host.startsWith('[')
}

function firstHeader(v: string | string[] | undefined): string | undefined {
  return Array.isArray(v) ? v[0] : v
}

/** A request path for messages: no query string (it may hold secrets), no origin. */
function shownPath(p: string): string {
  try {
    if (/^[a-z][a-z0-9+.-]*:/i.test(p)) return new URL(p).pathname
  } catch {
    /* fall through */
  }
  return p.split('?')[0]
}
