/**
 * Vault's answers as errors the user can act on: a refusal becomes an HttpError that names the method, path, status,
 * the server's own message and the fix (the capability the token lacks, what Vault checks when the auth config is
 * written); a network failure keeps the transport's wording. No message carries a token or a request body.
 */
import { ActionError, HttpError } from '../errors.js'
import { classifyNetworkError, NetworkError, networkMessage, RedirectError, redact, safeUrl, type ServerInputs } from '../transport/index.js'

/** Where the action's minimal Vault policy is documented (the README links to it). */
export const POLICY_DOC = 'docs/security.md, section "Vault token policy"'

export const VAULT_INPUTS: ServerInputs = {
  name: 'Vault',
  addr: 'vault-addr',
  ca: 'vault-ca-cert',
  clientCert: 'vault-client-cert',
  clientKey: 'vault-client-key',
  serverName: 'vault-tls-server-name'
}

/**
 * `POST sys/auth/<path>` answered "path is already in use": a mount exists there that this request did not
 * create (another run made it, or, when `afterAmbiguousAttempt`, possibly this run's own earlier attempt whose
 * answer was lost). Not an error to retry: re-read the mount and continue as an update.
 */
export class MountInUseError extends HttpError {
  constructor(
    path: string,
    status: number,
    message: string,
    readonly afterAmbiguousAttempt: boolean
  ) {
    super('Vault', 'POST', `/v1/${path}`, status, message, 'Another run (or an earlier attempt of this request) enabled an auth method at this path')
    this.name = 'MountInUseError'
  }
}

/**
 * A 2xx answer that is not what Vault answers there (null, a list, an object without the fields read, a value of the
 * wrong type): never read as "absent" or "nothing there", which would make the run write over what it cannot see.
 */
export class MalformedAnswerError extends ActionError {
  constructor(addr: string, method: string, path: string, body: unknown, expected = 'a JSON object') {
    super(
      `Vault at vault-addr "${addr}" answered ${method} /v1/${path} with ${describeAnswer(body)}, where Vault answers ${expected}. ` +
        'The action relies on this answer and does not guess: nothing was taken from it. Check that vault-addr points at ' +
        "Vault's API itself (not a proxy, cache or gateway that rewrites answers) and re-run."
    )
    this.name = 'MalformedAnswerError'
  }
}

/** A short, token-free description of an answer for messages: its JSON type and, for an object, its top-level keys. */
export function describeAnswer(body: unknown): string {
  if (body === null || body === undefined || body === '') return 'an empty answer (null)'
  if (Array.isArray(body)) return `a JSON list of ${body.length} item(s)`
  if (typeof body === 'object') {
    const keys = Object.keys(body)
    return keys.length === 0
      ? 'an empty JSON object ({})'
      : `a JSON object with ${keys
          .slice(0, 5)
          .map((k) => `"${redact(k)}"`)
          .join(', ')}`
  }
  return `a JSON ${typeof body}`
}

/**
 * Turns a node-vault rejection into an ActionError. Exported for tests.
 * - ApiResponseError (has `response.statusCode`): HttpError('Vault', …) with the server's errors and a hint.
 * - the transport's NetworkError/RedirectError: already worded for Vault, passed on.
 * - any other error with a network `code`: the transport's message for that failure kind.
 */
export function toVaultError(err: unknown, method: string, path: string, addr: string, query = ''): ActionError {
  if (err instanceof NetworkError || err instanceof RedirectError) return err
  const e = err as { response?: { statusCode?: number; body?: unknown }; code?: string; message?: string }
  const shownPath = `/v1/${path}${query}`
  if (e && typeof e === 'object' && e.response && typeof e.response.statusCode === 'number') {
    const status = e.response.statusCode
    const message = redact(serverMessage(e.response.body))
    return new HttpError('Vault', method, shownPath, status, message, vaultHint(status, message, method, path, query))
  }
  const code = (e && typeof e === 'object' && typeof e.code === 'string' && e.code) || ''
  const kind = classifyNetworkError(code, e?.message ?? '')
  if (code || kind !== 'other') {
    return new ActionError(redact(networkMessage(VAULT_INPUTS, safeUrl(addr).replace(/\/$/, ''), method, shownPath, code, kind)))
  }
  if (err instanceof ActionError) return err
  // Not an HTTP or network error (e.g. a programming error): keep the message, without any request details.
  return new ActionError(redact(`Vault ${method} ${shownPath} failed: ${e?.message ?? String(err)}`))
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
    const text = body
      .replace(/<[^>]*>/g, ' ')
      .replace(/\s+/g, ' ')
      .trim()
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
      `; grant the minimal policy (${POLICY_DOC}), or check that the token is valid and not expired` +
      ' and that the Vault namespace is right'
    )
  }
  if (status === 400 && /error checking jwks (URL|ca)/i.test(message)) {
    return (
      'Vault checks the JWKS when the auth config is written: the Vault SERVER (not the GitHub runner) must reach ' +
      "jwks-url and trust its certificate (set jwks-ca-cert to the CA of Nomad's HTTPS listener; with Nomad mTLS, " +
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
