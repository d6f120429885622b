/**
 * A small Nomad HTTP API client over src/http.ts (node:http/https, custom CA support).
 *
 * - `X-Nomad-Token` is sent when a token is configured; the token never appears in any message.
 * - `?namespace=` / `?region=` come from the connection and can be overridden per call
 *   (an empty string removes them).
 * - Blocking queries: `get(path, { index, waitMs })` sends `?index=N&wait=<ms>ms` and returns the
 *   `X-Nomad-Index` of the response, which the caller passes to the next call.
 * - Nomad errors are text/plain; they become HttpError('Nomad', …) with a hint that says which
 *   token capability is missing (403) or what was not found (404).
 */
import type { NomadConnection } from '../config.js'
import { ActionError, HttpError } from '../errors.js'
import { request, safeUrl, TransportError, type HttpResponse } from '../http.js'

export type QueryValue = string | number | boolean | undefined
export type Query = Record<string, QueryValue>

export interface GetOptions {
  /** Extra query parameters; `namespace`/`region` here override the connection's (''/undefined removes them). */
  query?: Query
  /** Blocking query: the X-Nomad-Index of the previous response. */
  index?: number
  /** Blocking query: how long the server may hold the request, in milliseconds. */
  waitMs?: number
}

export interface NomadResponse<T> {
  body: T
  /** X-Nomad-Index of the response (0 when absent). */
  index: number
}

export type OnRequest = (method: string, path: string) => void

export interface NomadClientOptions {
  /** Called before every request (tests, bench). `path` has no query string. */
  onRequest?: OnRequest
  /** Timeout for non-blocking requests in ms (default 30 s). Blocking queries add their wait time. */
  timeoutMs?: number
  /** Retries for idempotent GETs on transport errors and 502/503/504/"No cluster leader" (default 2). */
  retries?: number
  /** Base delay between GET retries in ms (default 500, doubled each time). */
  retryDelayMs?: number
}

const TLS_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'EPROTO',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED'
])

export class NomadClient {
  private readonly base: string
  private readonly onRequest?: OnRequest
  private readonly timeoutMs: number
  private readonly retries: number
  private readonly retryDelayMs: number

  constructor(
    readonly conn: NomadConnection,
    options: NomadClientOptions = {}
  ) {
    this.base = conn.addr.replace(/\/+$/, '')
    this.onRequest = options.onRequest
    this.timeoutMs = options.timeoutMs ?? 30_000
    this.retries = options.retries ?? 2
    this.retryDelayMs = options.retryDelayMs ?? 500
  }

  /** The namespace that calls use unless overridden ('' = the job's own / "default"). */
  get namespace(): string {
    return this.conn.namespace
  }

  async get<T>(path: string, opts: GetOptions = {}): Promise<NomadResponse<T>> {
    const query: Query = { ...(opts.query ?? {}) }
    let timeoutMs = this.timeoutMs
    if (opts.index !== undefined && opts.index > 0) {
      const waitMs = Math.max(1, Math.floor(opts.waitMs ?? 30_000))
      query.index = opts.index
      query.wait = `${waitMs}ms`
      // Nomad adds up to wait/16 of jitter; leave room for it and for a slow network.
      timeoutMs = waitMs + Math.ceil(waitMs / 16) + this.timeoutMs
    }
    let attempt = 0
    for (;;) {
      try {
        const res = await this.send('GET', path, query, undefined, timeoutMs)
        return { body: parseJson<T>(res, 'GET', path), index: indexOf(res) }
      } catch (err) {
        if (attempt >= this.retries || !retryable(err)) throw err
        attempt++
        await delay(this.retryDelayMs * 2 ** (attempt - 1))
      }
    }
  }

  /** POST a JSON body; returns the decoded JSON response. */
  async post<T>(path: string, body: unknown, query: Query = {}): Promise<T> {
    const res = await this.send('POST', path, query, JSON.stringify(body), this.timeoutMs)
    return parseJson<T>(res, 'POST', path)
  }

  private url(path: string, query: Query): string {
    const merged: Query = { namespace: this.conn.namespace, region: this.conn.region, ...query }
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(merged)) {
      if (v === undefined || v === '') continue
      params.set(k, String(v))
    }
    const qs = params.toString()
    return `${this.base}${path}${qs ? `?${qs}` : ''}`
  }

  private async send(method: string, path: string, query: Query, body: string | undefined, timeoutMs: number) {
    this.onRequest?.(method, path)
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (this.conn.token) headers['X-Nomad-Token'] = this.conn.token
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    let res: HttpResponse
    try {
      res = await request({
        method,
        url: this.url(path, query),
        headers,
        body,
        timeoutMs,
        tls: { ca: this.conn.caPem, insecure: this.conn.skipVerify }
      })
    } catch (err) {
      throw this.transportError(err, method, path)
    }
    if (res.status < 200 || res.status >= 300) {
      const message = redact(res.body.trim(), this.conn.token)
      throw new HttpError('Nomad', method, path, res.status, message, this.hint(method, path, res.status, message, query))
    }
    return res
  }

  private transportError(err: unknown, method: string, path: string): ActionError {
    const addr = safeUrl(this.base)
    if (err instanceof TransportError) {
      const tls = TLS_CODES.has(err.code) || /certificate|ssl|tls/i.test(err.message)
      let fix: string
      if (tls) {
        fix =
          'This is a TLS error: if Nomad uses a private CA, pass its PEM (or a path to it) in the `nomad-ca-cert` input; ' +
          'check that `nomad-addr` uses the host name the certificate was issued for, and that https is right for this port'
      } else if (err.code === 'ECONNREFUSED') {
        fix = 'Nothing accepted the connection: check the host and port in `nomad-addr` (the HTTP API port is usually 4646) and that the runner can reach it'
      } else if (err.code === 'ENOTFOUND' || err.code === 'EAI_AGAIN') {
        fix = 'The host name in `nomad-addr` does not resolve from the runner: check it, or use a self-hosted runner inside the network'
      } else if (err.code === 'ETIMEDOUT' || err.code === 'ECONNRESET') {
        fix = 'The connection timed out or was reset: check that `nomad-addr` is reachable from the runner (firewall, VPN) and uses the right scheme (http/https)'
      } else {
        fix = 'Check that `nomad-addr` is the address of the Nomad HTTP API and reachable from the runner'
      }
      return new ActionError(`Could not reach Nomad at ${addr} (input nomad-addr) for ${method} ${path}: ${err.code} (${redact(err.message, this.conn.token)}). ${fix}.`, {
        cause: err
      })
    }
    if (err instanceof ActionError) return err
    return new ActionError(`Nomad ${method} ${path} at ${addr} (input nomad-addr) failed: ${redact(String((err as Error)?.message ?? err), this.conn.token)}`, {
      cause: err
    })
  }

  private hint(method: string, path: string, status: number, message: string, query: Query): string | undefined {
    const ns = effective(query.namespace, this.conn.namespace) || 'default'
    if (status === 400 && /HTTP request to an HTTPS server/i.test(message)) {
      return 'The Nomad agent expects TLS: use an https:// URL in `nomad-addr` (and `nomad-ca-cert` for a private CA)'
    }
    if (status === 403) {
      if (/ACL token not found/i.test(message)) {
        return 'The `nomad-token` input is not a valid ACL token for this cluster (expired, deleted, or from another cluster or region): create a new token'
      }
      if (!this.conn.token) {
        return 'ACLs are enabled on this cluster but no `nomad-token` was given: set the `nomad-token` input to an ACL token'
      }
      return `The ACL token in \`nomad-token\` lacks ${capabilityFor(method, path, ns)}`
    }
    if (status === 404) {
      return notFoundHint(path, ns, message)
    }
    if (status === 500 && /No cluster leader/i.test(message)) {
      return 'The Nomad servers have no leader right now: check the cluster health (nomad server members) and re-run'
    }
    return undefined
  }
}

function effective(override: QueryValue, fallback: string): string {
  if (override === undefined) return fallback
  return String(override)
}

/** The capability a request needs, in words, for a 403 hint. */
export function capabilityFor(method: string, path: string, namespace: string): string {
  const nsCap = (cap: string) => `the \`${cap}\` capability on namespace "${namespace}" (policy: namespace "${namespace}" { capabilities = ["${cap}"] })`
  if (path.startsWith('/v1/agent/')) return 'the `agent:read` permission (policy: agent { policy = "read" })'
  if (path === '/v1/jobs/parse') return `${nsCap('parse-job')} or submit-job`
  if (method === 'POST' && (path === '/v1/jobs' || /^\/v1\/job\/[^/]+(\/plan)?$/.test(path))) return nsCap('submit-job')
  if (method === 'POST' && path.startsWith('/v1/deployment/')) return nsCap('submit-job')
  if (path.startsWith('/v1/node')) return 'the `node:read` permission'
  return nsCap('read-job')
}

function notFoundHint(path: string, namespace: string, message: string): string {
  let m: RegExpMatchArray | null
  if ((m = path.match(/^\/v1\/job\/([^/]+)/))) {
    return `Job "${decodeURIComponent(m[1])}" was not found in namespace "${namespace}"${
      /job not found/i.test(message) ? '' : ' (or the endpoint does not exist on this Nomad version)'
    }; check the job ID, the \`nomad-namespace\` input and \`nomad-region\``
  }
  if ((m = path.match(/^\/v1\/evaluation\/([^/]+)/))) return `Evaluation ${m[1]} was not found (it may have been garbage-collected, or belongs to another region)`
  if ((m = path.match(/^\/v1\/deployment\/(?:promote\/)?([^/]+)/))) return `Deployment ${m[1]} was not found (it may have been garbage-collected, or belongs to another region)`
  if (/page not found/i.test(message) || !message) {
    return `The endpoint ${path} does not exist: check that \`nomad-addr\` points at the Nomad HTTP API (not the UI or a proxy path) and that Nomad is 1.7 or newer`
  }
  return `Nomad could not find what ${path} refers to`
}

function parseJson<T>(res: HttpResponse, method: string, path: string): T {
  if (res.body === '') return null as T
  try {
    return JSON.parse(res.body) as T
  } catch {
    const ct = String(res.headers['content-type'] ?? 'unknown content type')
    throw new ActionError(
      `Nomad ${method} ${path} returned HTTP ${res.status} with a body that is not JSON (${ct}, starts with ${JSON.stringify(res.body.slice(0, 80))}): ` +
        'check that `nomad-addr` points at the Nomad HTTP API and not at a proxy or login page'
    )
  }
}

function indexOf(res: HttpResponse): number {
  const raw = res.headers['x-nomad-index']
  const v = Number(Array.isArray(raw) ? raw[0] : raw)
  return Number.isFinite(v) && v > 0 ? v : 0
}

function retryable(err: unknown): boolean {
  if (err instanceof HttpError) {
    return [502, 503, 504].includes(err.status) || (err.status === 500 && /No cluster leader|rpc error: EOF/i.test(err.serverMessage))
  }
  if (err instanceof ActionError && err.cause instanceof TransportError) {
    return ['ECONNRESET', 'EPIPE', 'ETIMEDOUT', 'ECONNREFUSED'].includes(err.cause.code)
  }
  return false
}

function redact(text: string, token: string): string {
  if (!token || token.length < 4) return text
  return text.split(token).join('***')
}

function delay(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms))
}
