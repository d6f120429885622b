/**
 * The Nomad HTTP API client over the shared transport (src/transport: retries, timeouts, redirects policy,
 * proxies, TLS and mTLS, error mapping and redaction). Typed handles per resource are in api.ts.
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
import { HttpError, UnexpectedAnswerError } from '../errors.js'
import { redact, Transport, TRANSIENT_STATUSES, type ServerInputs, type TransportResponse } from '../transport/index.js'
import { NomadApi } from './api.js'

export type QueryValue = string | number | boolean | undefined
export type Query = Record<string, QueryValue>

export interface GetOptions {
  /** Extra query parameters; `namespace`/`region` here override the connection's (''/undefined removes them). */
  query?: Query
  /** Blocking query: the X-Nomad-Index of the previous response. */
  index?: number
  /** Blocking query: how long the server may hold the request, in milliseconds. */
  waitMs?: number
  /** Aborts the request (a blocking query whose answer is no longer needed). */
  signal?: AbortSignal
}

export interface PostOptions {
  /** Safe to repeat after a lost answer. Default: true for the read-only POSTs (parse, plan), else false. */
  idempotent?: boolean
  /** Aborts the request (the follow deadline). */
  signal?: AbortSignal
}

/** POSTs that change nothing in Nomad: parsing HCL and planning a job. */
function readOnlyPost(path: string): boolean {
  return path === '/v1/jobs/parse' || /^\/v1\/job\/[^/]+\/plan$/.test(path)
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
  /** Timeout for non-blocking requests in ms (default: request-timeout, 30 s). Blocking queries add their wait time. */
  timeoutMs?: number
  /** Retries of requests safe to repeat on transient failures (default: max-retries, 4). */
  retries?: number
  /** Base delay of the jittered backoff in ms (default 250). */
  retryDelayMs?: number
}

export const NOMAD_INPUTS: ServerInputs = {
  name: 'Nomad',
  addr: 'nomad-addr',
  ca: 'nomad-ca-cert',
  clientCert: 'nomad-client-cert',
  clientKey: 'nomad-client-key',
  serverName: 'nomad-tls-server-name'
}

/**
 * Nomad answers many permanent errors (job validation, check-and-set conflicts) with HTTP 500, so a 500 is
 * transient only when it is not one of those.
 */
function nomadTransient(status: number, body: string): boolean {
  if (status === 500)
    return !/error occurred|validation|Enforcing job modify index|not enabled but used|invalid|not found|permission denied|failed to parse|unsupported|not allowed/i.test(
      body
    )
  return TRANSIENT_STATUSES.has(status)
}

/** An HttpError whose request was repeated after an attempt that may have reached Nomad. */
export interface AmbiguousMark {
  retriedAfterAmbiguous?: boolean
}

export class NomadClient {
  readonly transport: Transport
  /** The typed API over this client (api.ts): every Nomad call goes through it, built once per client. */
  readonly api: NomadApi
  private readonly timeoutMs: number

  constructor(
    readonly conn: NomadConnection,
    options: NomadClientOptions = {}
  ) {
    this.timeoutMs = options.timeoutMs ?? conn.transport?.requestTimeoutMs ?? 30_000
    const retries = options.retries ?? conn.transport?.maxRetries
    this.transport = new Transport({
      base: conn.addr.replace(/\/+$/, ''),
      server: NOMAD_INPUTS,
      tls: { ca: conn.caPem, insecure: conn.skipVerify, cert: conn.clientCert, key: conn.clientKey, servername: conn.tlsServerName || undefined },
      timeoutMs: this.timeoutMs,
      retry: {
        ...(retries !== undefined ? { maxRetries: retries } : {}),
        ...(options.retryDelayMs !== undefined ? { baseDelayMs: options.retryDelayMs } : {})
      },
      onRequest: options.onRequest,
      secrets: () => [conn.token, conn.clientKey]
    })
    this.api = new NomadApi(this)
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
    const res = await this.send('GET', path, query, undefined, timeoutMs, true, opts.signal)
    return { body: parseJson<T>(res, 'GET', path), index: indexOf(res) }
  }

  /** POST a JSON body; returns the decoded JSON response. */
  async post<T>(path: string, body: unknown, query: Query = {}, opts: PostOptions = {}): Promise<T> {
    const res = await this.send('POST', path, query, JSON.stringify(body), this.timeoutMs, opts.idempotent ?? readOnlyPost(path), opts.signal)
    return parseJson<T>(res, 'POST', path)
  }

  /** DELETE (e.g. a job stop or purge); returns the decoded JSON response. */
  async delete<T>(path: string, query: Query = {}): Promise<T> {
    const res = await this.send('DELETE', path, query, undefined, this.timeoutMs, true)
    return parseJson<T>(res, 'DELETE', path)
  }

  private url(path: string, query: Query): string {
    const merged: Query = { namespace: this.conn.namespace, region: this.conn.region, ...query }
    const params = new URLSearchParams()
    for (const [k, v] of Object.entries(merged)) {
      if (v === undefined || v === '') continue
      params.set(k, String(v))
    }
    const qs = params.toString()
    return `${path}${qs ? `?${qs}` : ''}`
  }

  private async send(
    method: string,
    path: string,
    query: Query,
    body: string | undefined,
    timeoutMs: number,
    idempotent: boolean,
    signal?: AbortSignal
  ) {
    const headers: Record<string, string> = { Accept: 'application/json' }
    if (this.conn.token) headers['X-Nomad-Token'] = this.conn.token
    if (body !== undefined) headers['Content-Type'] = 'application/json'
    const res = await this.transport.request({
      method,
      path: this.url(path, query),
      headers,
      body,
      timeoutMs,
      idempotent,
      retryOn: nomadTransient,
      signal
    })
    if (res.status < 200 || res.status >= 300) {
      const message = redact(res.body.trim(), [this.conn.token])
      const err: HttpError & AmbiguousMark = new HttpError(
        'Nomad',
        method,
        path,
        res.status,
        message,
        this.hint(method, path, res.status, message, query)
      )
      err.retriedAfterAmbiguous = res.retriedAfterAmbiguous
      throw err
    }
    return res
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
  const nsCap = (cap: string) =>
    `the \`${cap}\` capability on namespace "${namespace}" (policy: namespace "${namespace}" { capabilities = ["${cap}"] })`
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
  if ((m = path.match(/^\/v1\/evaluation\/([^/]+)/)))
    return `Evaluation ${m[1]} was not found (it may have been garbage-collected, or belongs to another region)`
  if ((m = path.match(/^\/v1\/deployment\/(?:promote\/)?([^/]+)/)))
    return `Deployment ${m[1]} was not found (it may have been garbage-collected, or belongs to another region)`
  if (/page not found/i.test(message) || !message) {
    return `The endpoint ${path} does not exist: check that \`nomad-addr\` points at the Nomad HTTP API (not the UI or a proxy path) and that Nomad is 1.7 or newer`
  }
  return `Nomad could not find what ${path} refers to`
}

function parseJson<T>(res: TransportResponse, method: string, path: string): T {
  if (res.body === '') return null as T
  try {
    return JSON.parse(res.body) as T
  } catch {
    const ct = String(res.headers['content-type'] ?? 'unknown content type')
    throw new UnexpectedAnswerError(
      'Nomad',
      method,
      path,
      `HTTP ${res.status} with a body that is not JSON (${ct}, starts with ${JSON.stringify(redact(res.body.slice(0, 80)))})`
    )
  }
}

function indexOf(res: TransportResponse): number {
  const raw = res.headers['x-nomad-index']
  const v = Number(Array.isArray(raw) ? raw[0] : raw)
  return Number.isFinite(v) && v > 0 ? v : 0
}
