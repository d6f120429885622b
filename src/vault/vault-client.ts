/**
 * A thin Vault (or OpenBao) client over node-vault 0.12, whose HTTP requests go through our transport
 * (src/transport): node-vault accepts `request-promise`, so its axios stack is never used at run time, and the
 * transport's retries, timeouts, redirect policy, proxies, TLS and mTLS apply to Vault as to Nomad.
 *
 * Only explicit settings are used: node-vault falls back to VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE,
 * VAULT_PREFIX and VAULT_SKIP_VERIFY for every falsy option, so every one of them is overwritten after
 * construction. Errors are mapped by vault-errors.ts (path, status, the server's own message and the fix). No message
 * ever contains a token or a request body.
 *
 * node-vault (with tv4, mustache and debug) is loaded with import() on the first request: the bundle keeps it in a
 * chunk of its own, which a run that stops before talking to Vault never reads or compiles (BENCHMARKS.md).
 */
import type vault from 'node-vault'
import type { VaultConnection } from '../config.js'
import { ActionError, HttpError } from '../errors.js'
import { trimTrailingSlashes } from '../paths.js'
import { limiter } from '../pool.js'
import { Transport, type TransportResponse } from '../transport/index.js'
import { MalformedAnswerError, MountInUseError, serverMessage, toVaultError, VAULT_INPUTS } from './vault-errors.js'

/** Requests one client has in flight at most: the rest wait (10,000 roles must not open 10,000 sockets at once). */
export const VAULT_CONCURRENCY = 16

/**
 * A Vault response body (Vault's api.Secret, the fields the action reads): `data` is the object read, whose fields
 * each reader checks; `auth` is a login's answer.
 */
export interface VaultSecret {
  data?: Record<string, unknown> | null
  auth?: { client_token?: string; accessor?: string; lease_duration?: number; renewable?: boolean } | null
  warnings?: string[] | null
}

export interface VaultApi {
  /** The Vault address, safe to show in messages. */
  readonly addr: string
  /** GET /v1/<path>; resolves null on 404. A 2xx answer that is not a JSON object rejects (MalformedAnswerError). */
  read(path: string): Promise<VaultSecret | null>
  /**
   * POST /v1/<path> with a JSON body; resolves the response body (null for 204). A POST to sys/auth/<path> that
   * Vault answers with "path is already in use" rejects with MountInUseError.
   */
  write(path: string, body: unknown): Promise<VaultSecret | null>
  /** GET /v1/<path>?list=true; resolves data.keys, [] on 404. A 2xx answer without a list of keys rejects. */
  list(path: string): Promise<string[]>
  /** DELETE /v1/<path>. Only used to roll back a mount this run created. */
  remove(path: string): Promise<void>
}

/** One HTTP request the client is about to send (for tests and diagnostics; never contains the body). */
export interface VaultRequestEvent {
  method: 'GET' | 'POST' | 'DELETE'
  /** API path without /v1/, e.g. "sys/auth". */
  path: string
  /** true for requests that change state. */
  write: boolean
}

export interface VaultApiOptions {
  /** Per-attempt timeout; default conn.transport.requestTimeoutMs or 30 s. */
  timeoutMs?: number
  /** Called before every request. */
  onRequest?: (event: VaultRequestEvent) => void
  /** Requests in flight at most (default VAULT_CONCURRENCY); the others wait for a free slot. */
  concurrency?: number
}

/** node-vault's request options as it passes them to `request-promise` (plus our `idempotent` flag). */
interface RpOptions {
  method: string
  uri: string
  headers?: Record<string, string>
  json?: unknown
  idempotent?: boolean
  /** Set by requestPromise: an earlier attempt of this request may have reached Vault. */
  retriedAfterAmbiguous?: boolean
}

interface RpResponse {
  statusCode: number
  body: unknown
  request: { path: string }
}

/** The `request-promise` stand-in node-vault 0.12 accepts: `.defaults(rpDefaults)` returns the request function. */
function requestPromise(transport: Transport) {
  return {
    defaults:
      () =>
      async (options: RpOptions): Promise<RpResponse> => {
        const headers: Record<string, string> = { Accept: 'application/json', ...(options.headers ?? {}) }
        let body: string | undefined
        if (options.json !== undefined && typeof options.json === 'object') {
          body = JSON.stringify(options.json)
          headers['Content-Type'] = 'application/json'
        }
        const res: TransportResponse = await transport.request({
          method: options.method,
          path: options.uri,
          headers,
          body,
          idempotent: options.idempotent
        })
        // node-vault passes our request object through (and builds its errors from status and body only).
        options.retriedAfterAmbiguous = res.retriedAfterAmbiguous
        return { statusCode: res.status, body: parseBody(res.body), request: { path: new URL(options.uri).pathname } }
      }
  }
}

let nodeVault: Promise<typeof vault> | undefined
function loadNodeVault(): Promise<typeof vault> {
  nodeVault ??= import('node-vault').then((m) => m.default)
  return nodeVault
}

function parseBody(text: string): unknown {
  if (text === '') return ''
  try {
    return JSON.parse(text)
  } catch {
    return text
  }
}

export function createVaultApi(conn: VaultConnection, options: VaultApiOptions = {}): VaultApi {
  const addr = trimTrailingSlashes(conn.addr)
  const transport = new Transport({
    base: addr,
    server: VAULT_INPUTS,
    tls: { ca: conn.caPem, insecure: conn.skipVerify, cert: conn.clientCert, key: conn.clientKey, servername: conn.tlsServerName || undefined },
    timeoutMs: options.timeoutMs ?? conn.transport?.requestTimeoutMs,
    retry: conn.transport ? { maxRetries: conn.transport.maxRetries } : undefined,
    secrets: () => [conn.token, conn.clientKey]
  })
  const vaultOptions = {
    endpoint: addr,
    token: conn.token,
    namespace: conn.namespace,
    pathPrefix: '',
    apiVersion: 'v1',
    // node-vault logs request bodies (login JWTs) under DEBUG=node-vault: never.
    debug: () => {},
    'request-promise': requestPromise(transport)
  }
  type Client = vault.client & { namespace?: string; pathPrefix: string }
  let client: Promise<Client> | undefined
  const getClient = (): Promise<Client> => {
    client ??= loadNodeVault().then((nodeVaultClient) => {
      const c = nodeVaultClient(vaultOptions as vault.VaultOptions) as Client
      // The constructor did `option || process.env.VAULT_*`: overwrite with the explicit values.
      c.endpoint = addr
      c.token = conn.token
      c.namespace = conn.namespace
      c.pathPrefix = ''
      c.apiVersion = 'v1'
      return c
    })
    return client
  }

  const shownAddr = transport.shownAddr
  const gate = limiter(Math.max(1, options.concurrency ?? VAULT_CONCURRENCY))

  async function send(method: 'GET' | 'POST' | 'DELETE', path: string, json?: unknown, query = ''): Promise<VaultSecret | null> {
    const clean = normalisePath(path)
    options.onRequest?.({ method, path: clean, write: method !== 'GET' })
    let req: vault.RequestOption & Pick<RpOptions, 'idempotent' | 'retriedAfterAmbiguous'> = { path: '', method }
    try {
      // Every request the action sends to Vault is safe to repeat: reads, and writes of whole objects (config,
      // role, policy), a mount POST (a repeat answers "path is already in use": MountInUseError), a DELETE.
      req = { path: `/${encodeURI(clean)}${query}`, method, idempotent: true }
      if (json !== undefined) req.json = json
      const c = await getClient()
      const body = await gate(() => c.request(req))
      if (typeof body === 'string' && body.trim() !== '') {
        // A 2xx that is not JSON (a login portal, a proxy page) is not Vault: never read it as "nothing there".
        throw new ActionError(
          `Vault at vault-addr "${shownAddr}" answered ${method} /v1/${clean}${query} with a page that is not Vault's JSON ` +
            `API ("${serverMessage(body).slice(0, 80)}"). Check that vault-addr points at the Vault API itself, not at a login page or proxy.`
        )
      }
      return body === '' || body === undefined ? null : body
    } catch (err) {
      const mapped = toVaultError(err, method, clean, shownAddr, query)
      if (
        method === 'POST' &&
        /^sys\/auth\/[^/]/.test(clean) &&
        mapped instanceof HttpError &&
        /path is already in use/i.test(mapped.serverMessage)
      ) {
        throw new MountInUseError(clean, mapped.status, mapped.serverMessage, req.retriedAfterAmbiguous === true)
      }
      throw mapped
    }
  }

  return {
    addr: shownAddr,
    async read(path) {
      let res: VaultSecret | null
      try {
        res = await send('GET', path)
      } catch (err) {
        if (err instanceof HttpError && err.status === 404) return null
        throw err
      }
      // Vault answers a read with a JSON object, or 404 when there is nothing: anything else is never "absent".
      if (!isObject(res)) throw new MalformedAnswerError(shownAddr, 'GET', normalisePath(path), res)
      return res
    },
    write(path, body) {
      return send('POST', path, body)
    },
    async remove(path) {
      await send('DELETE', path)
    },
    async list(path) {
      let res: VaultSecret | null
      try {
        res = await send('GET', path, undefined, '?list=true')
      } catch (err) {
        if (err instanceof HttpError && err.status === 404) return []
        throw err
      }
      // Vault answers an empty list with 404: a 2xx always carries data.keys, a list of names.
      const keys = isObject(res) && isObject(res.data) ? res.data.keys : undefined
      if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
        throw new MalformedAnswerError(shownAddr, 'GET', `${normalisePath(path)}?list=true`, res, 'data.keys, a list of names')
      }
      return keys as string[]
    }
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

function normalisePath(path: string): string {
  return path.replace(/^\/+/, '').replace(/^v1\//, '')
}
