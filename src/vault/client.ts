/**
 * A thin Vault (or OpenBao) client over node-vault 0.12.
 *
 * Only explicit settings are used: node-vault falls back to VAULT_ADDR, VAULT_TOKEN, VAULT_NAMESPACE,
 * VAULT_PREFIX and VAULT_SKIP_VERIFY for every falsy option, so every one of them is overwritten after
 * construction. Errors are mapped to ActionError/HttpError messages that name the path, the status, the
 * server's own message and the fix. No message ever contains a token or a request body, and the original
 * node-vault/axios error is never attached as `cause` (axios errors carry the request headers, i.e. the token).
 */
import vault from 'node-vault'
import type { VaultConnection } from '../config.js'
import { ActionError, HttpError } from '../errors.js'
import { safeUrl } from '../http.js'

/** Where the action's minimal Vault policy is documented (README links to it). */
export const POLICY_DOC = 'README.md, section "Vault token policy"'

export interface VaultApi {
  /** The Vault address, safe to show in messages. */
  readonly addr: string
  /** GET /v1/<path>; resolves null on 404. */
  read(path: string): Promise<any | null>
  /** POST /v1/<path> with a JSON body; resolves the response body (null for 204). */
  write(path: string, body: unknown): Promise<any>
  /** GET /v1/<path>?list=true; resolves data.keys, [] on 404. */
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
  /** Per-request timeout; default 30 s. */
  timeoutMs?: number
  /** Called before every request. */
  onRequest?: (event: VaultRequestEvent) => void
}

/** Codes of TLS verification failures (Node/OpenSSL). */
const TLS_ERROR_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER'
])

export function createVaultApi(conn: VaultConnection, options: VaultApiOptions = {}): VaultApi {
  const timeout = options.timeoutMs ?? 30_000
  const addr = conn.addr.replace(/\/+$/, '')
  const vaultOptions = {
    endpoint: addr,
    token: conn.token,
    namespace: conn.namespace,
    pathPrefix: '',
    apiVersion: 'v1',
    // node-vault logs request bodies (login JWTs) under DEBUG=node-vault: never.
    debug: () => {},
    // Passed explicitly: node-vault's default is strictSSL = !process.env.VAULT_SKIP_VERIFY.
    rpDefaults: { strictSSL: !conn.skipVerify, timeout },
    ...(conn.caPem ? { requestOptions: { ca: conn.caPem } } : {})
  }
  const client = vault(vaultOptions as vault.VaultOptions) as vault.client & {
    namespace?: string
    pathPrefix: string
  }
  // The constructor did `option || process.env.VAULT_*`: overwrite with the explicit values.
  client.endpoint = addr
  client.token = conn.token
  client.namespace = conn.namespace
  client.pathPrefix = ''
  client.apiVersion = 'v1'

  const shownAddr = safeUrl(addr).replace(/\/$/, '')

  async function send(method: 'GET' | 'POST' | 'DELETE', path: string, json?: unknown, query = ''): Promise<any> {
    const clean = normalisePath(path)
    options.onRequest?.({ method, path: clean, write: method !== 'GET' })
    try {
      const req: vault.RequestOption = { path: `/${encodeURI(clean)}${query}`, method }
      if (json !== undefined) req.json = json
      const body = await client.request(req)
      return body === '' || body === undefined ? null : body
    } catch (err) {
      throw toVaultError(err, method, clean, shownAddr, query)
    }
  }

  return {
    addr: shownAddr,
    async read(path) {
      try {
        return await send('GET', path)
      } catch (err) {
        if (err instanceof HttpError && err.status === 404) return null
        throw err
      }
    },
    write(path, body) {
      return send('POST', path, body)
    },
    async remove(path) {
      await send('DELETE', path)
    },
    async list(path) {
      try {
        const res = await send('GET', path, undefined, '?list=true')
        const keys = res?.data?.keys
        return Array.isArray(keys) ? keys.map(String) : []
      } catch (err) {
        if (err instanceof HttpError && err.status === 404) return []
        throw err
      }
    }
  }
}

function normalisePath(path: string): string {
  return path.replace(/^\/+/, '').replace(/^v1\//, '')
}

/**
 * Turns a node-vault rejection into an ActionError. Exported for tests.
 * - ApiResponseError (has `response.statusCode`): HttpError('Vault', …) with the server's errors and a hint.
 * - axios transport error (no `response`): ActionError naming vault-addr and the fix.
 */
export function toVaultError(err: unknown, method: string, path: string, addr: string, query = ''): ActionError {
  const e = err as { response?: { statusCode?: number; body?: unknown }; code?: string; message?: string }
  const shownPath = `/v1/${path}${query}`
  if (e && typeof e === 'object' && e.response && typeof e.response.statusCode === 'number') {
    const status = e.response.statusCode
    const message = serverMessage(e.response.body)
    return new HttpError('Vault', method, shownPath, status, message, vaultHint(status, message, method, path, query))
  }
  const code = (e && typeof e === 'object' && typeof e.code === 'string' && e.code) || ''
  if (code === 'ECONNABORTED' || code === 'ETIMEDOUT' || /timeout/i.test(e?.message ?? '')) {
    return new ActionError(
      `Vault at vault-addr "${addr}" did not answer ${method} ${shownPath} in time (${code || 'timeout'}). ` +
        'Check that vault-addr points at a reachable Vault API (scheme, host and port) and that the runner can reach it ' +
        '(firewall, VPN, self-hosted runner network).'
    )
  }
  if (TLS_ERROR_CODES.has(code) || /certificate|self[- ]signed|SSL routines|wrong version number/i.test(e?.message ?? '')) {
    return new ActionError(
      `TLS to Vault at vault-addr "${addr}" failed for ${method} ${shownPath}: ${code || 'TLS error'}` +
        (code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? ' (the certificate does not name this host)' : '') +
        '. Set vault-ca-cert to the PEM of the CA that signed Vault\'s certificate, and check that vault-addr uses ' +
        'the host name in the certificate and the right scheme (https:// for a TLS listener, http:// otherwise).'
    )
  }
  if (code) {
    return new ActionError(
      `Cannot reach Vault at vault-addr "${addr}" (${method} ${shownPath}: ${code}). ` +
        'Check the address and port in vault-addr and that the runner can reach it over the network.'
    )
  }
  if (err instanceof ActionError) return err
  // Not an HTTP or network error (e.g. a programming error): keep the message, without any request details.
  return new ActionError(`Vault ${method} ${shownPath} failed: ${e?.message ?? String(err)}`)
}

/** The server's errors, joined; Vault's multierror wrapping ("1 error occurred:\n\t* …") is flattened. */
export function serverMessage(body: unknown): string {
  if (body && typeof body === 'object' && Array.isArray((body as { errors?: unknown }).errors)) {
    return (body as { errors: unknown[] }).errors
      .map((x) => flattenMultiError(String(x)))
      .filter((x) => x.length > 0)
      .join('; ')
  }
  if (typeof body === 'string' && body.trim()) {
    const text = body.replace(/<[^>]*>/g, ' ').replace(/\s+/g, ' ').trim()
    return text.length > 200 ? `${text.slice(0, 200)}…` : text
  }
  return ''
}

function flattenMultiError(s: string): string {
  const m = /^\d+ errors? occurred:\s*([\s\S]*)$/.exec(s.trim())
  if (!m) return s.trim()
  return m[1]
    .split('\n')
    .map((l) => l.replace(/^\s*\*\s*/, '').trim())
    .filter(Boolean)
    .join('; ')
}

/** The capability the action's token needs for a request (as written in the minimal policy). */
export function requiredCapability(method: string, path: string, query = ''): string {
  if (query.includes('list=')) return 'list'
  if (method === 'GET') return 'read'
  if (method === 'DELETE') return 'delete'
  if (/^sys\/auth\/[^/]/.test(path)) return 'sudo + create/update'
  return 'create/update'
}

function vaultHint(status: number, message: string, method: string, path: string, query: string): string | undefined {
  if (status === 403) {
    return (
      `The action's Vault token needs the "${requiredCapability(method, path, query)}" capability on path "${path}"` +
        (/^sys\/auth\/[^/]/.test(path) ? ' (enabling an auth method requires sudo)' : '') +
        `; grant the minimal policy in the README (${POLICY_DOC}), or check that the token is valid and not expired` +
        ' and that the Vault namespace is right'
    )
  }
  if (status === 400 && /error checking jwks (URL|ca)/i.test(message)) {
    return (
      'Vault checks the JWKS when the auth config is written: the Vault SERVER (not the GitHub runner) must reach ' +
        'jwks-url and trust its certificate (set jwks-ca-cert to the CA of Nomad\'s HTTPS listener; with Nomad mTLS, ' +
        'tls.verify_https_client must be false). If Vault cannot reach Nomad, use key-source: static'
    )
  }
  if (status === 400 && /error checking oidc discovery (URL|ca)/i.test(message)) {
    return (
      'Vault checks OIDC discovery when the auth config is written: the Vault SERVER (not the GitHub runner) must ' +
        'reach oidc-discovery-url and trust its certificate (oidc-discovery-ca-cert); Nomad serves discovery only when ' +
        'server.oidc_issuer is set. If Vault cannot reach ' +
        'Nomad, use key-source: static'
    )
  }
  if (status === 404 && /no handler for route/i.test(message)) {
    return 'The auth method or mount in this path does not exist (check auth-path and the Vault namespace)'
  }
  if (status === 503 && /sealed/i.test(message)) return 'Vault is sealed: unseal it and re-run'
  return undefined
}
