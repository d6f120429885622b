/**
 * One classification of network failures and one TLS error mapping for Vault, Nomad and the JWKS/OIDC fetch.
 * A NetworkError's message names the server, the input that holds its address, the method and path, the
 * error code and the fix. It never carries a token, a request body or the original error (whose request
 * options would).
 */
import { ActionError } from '../errors.js'

/** Codes of TLS failures (Node/OpenSSL): verification, host names, protocol mismatch, client certificates. */
const TLS_CODES = new Set([
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'HOSTNAME_MISMATCH',
  'EPROTO',
  'ERR_SSL_WRONG_VERSION_NUMBER',
  'ERR_SSL_TLSV1_ALERT_UNKNOWN_CA',
  'ERR_SSL_SSLV3_ALERT_BAD_CERTIFICATE',
  'ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED',
  'ERR_SSL_TLSV1_ALERT_DECRYPT_ERROR',
  'ERR_OSSL_PEM_NO_START_LINE',
  'ERR_OSSL_X509_KEY_VALUES_MISMATCH'
])

export type FailureKind = 'tls' | 'client-cert' | 'refused' | 'dns' | 'timeout' | 'reset' | 'proxy' | 'local' | 'other'

/**
 * Failures of the runner itself, not of the server or the address: out of file descriptors (EMFILE per process,
 * ENFILE system-wide), memory or socket buffers, local ports. The request never left the machine.
 */
const LOCAL_CODES: Record<string, string> = {
  EMFILE: 'too many open files in this process',
  ENFILE: 'too many open files on this machine',
  ENOMEM: 'out of memory',
  ENOBUFS: 'no socket buffer space',
  EADDRNOTAVAIL: 'no free local port'
}

export function classifyNetworkError(code: string, message = ''): FailureKind {
  if (code === 'EPROXY') return 'proxy'
  if (code in LOCAL_CODES) return 'local'
  // TLS alerts the *server* sends about our client certificate (none sent, not trusted: ALERT_UNKNOWN_CA when the
  // client sent one from a CA the server does not know); a server certificate we refuse fails with other codes.
  if (/CERTIFICATE_REQUIRED|BAD_CERTIFICATE|ALERT_UNKNOWN_CA|ALERT_ACCESS_DENIED|X509_KEY_VALUES_MISMATCH|PEM_NO_START_LINE/.test(code))
    return 'client-cert'
  if (TLS_CODES.has(code) || /certificate|self[- ]signed|SSL routines|wrong version number/i.test(message)) return 'tls'
  if (code === 'ECONNREFUSED') return 'refused'
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return 'dns'
  if (code === 'ETIMEDOUT' || code === 'ECONNABORTED' || code === 'ESOCKETTIMEDOUT' || /timeout/i.test(message)) return 'timeout'
  if (code === 'ECONNRESET' || code === 'EPIPE' || code === 'ETRUNCATED' || code === 'ERR_STREAM_PREMATURE_CLOSE' || code === 'HPE_INVALID_CONSTANT')
    return 'reset'
  return 'other'
}

/** Failures worth another attempt (for requests that are safe to repeat). */
export function transientKind(kind: FailureKind, code: string): boolean {
  return kind === 'refused' || kind === 'timeout' || kind === 'reset' || (kind === 'dns' && code === 'EAI_AGAIN') || kind === 'proxy'
}

/** The inputs that configure one server, for messages. */
export interface ServerInputs {
  /** Display name: "Vault", "Nomad", "the Nomad JWKS". */
  name: string
  /** Input holding the address: "vault-addr", "nomad-addr", "jwks-url". */
  addr: string
  /** Input holding the CA: "vault-ca-cert". */
  ca?: string
  /** Inputs for mTLS, when the server supports them. */
  clientCert?: string
  clientKey?: string
  serverName?: string
}

export class NetworkError extends ActionError {
  constructor(
    message: string,
    readonly method: string,
    readonly path: string,
    readonly code: string,
    readonly kind: FailureKind,
    /** The request may have reached the server (written, then the connection failed or timed out). */
    readonly ambiguous: boolean
  ) {
    super(message)
    this.name = 'NetworkError'
  }
}

/** The one message for a network failure: server, input, method, path, code and the fix. */
export function networkMessage(
  server: ServerInputs,
  shownAddr: string,
  method: string,
  path: string,
  code: string,
  kind: FailureKind,
  attempts = 1
): string {
  const tries = attempts > 1 ? ` after ${attempts} attempts` : ''
  const at = `${server.name} at ${server.addr} "${shownAddr}"`
  switch (kind) {
    case 'tls':
      return (
        `TLS to ${at} failed for ${method} ${path}: ${code || 'TLS error'}` +
        (code === 'ERR_TLS_CERT_ALTNAME_INVALID' ? ' (the certificate does not name this host)' : '') +
        (server.ca ? `. Set ${server.ca} to the PEM (or a path to it) of the CA that signed the certificate, and check` : '. Check') +
        ` that ${server.addr} uses the host name in the certificate${server.serverName ? ` (or set ${server.serverName})` : ''} and the right scheme ` +
        '(https:// for a TLS listener, http:// otherwise).'
      )
    case 'client-cert':
      return (
        `TLS to ${at} failed for ${method} ${path}: ${code}. The server requires a client certificate it trusts` +
        (server.clientCert
          ? `: set ${server.clientCert} and ${server.clientKey} (PEM text or paths) to a certificate signed by a CA the server trusts, with its key.`
          : '.')
      )
    case 'timeout':
      return (
        `${at} did not answer ${method} ${path} in time (${code || 'timeout'})${tries}. ` +
        `Check that ${server.addr} points at a reachable ${server.name} API (scheme, host and port) and that the runner can reach it ` +
        '(firewall, VPN, self-hosted runner network); raise request-timeout for a slow server.'
      )
    case 'refused':
      return `Cannot reach ${at} (${method} ${path}: ${code})${tries}. Nothing accepted the connection: check the host and port in ${server.addr} and that the runner can reach it over the network.`
    case 'dns':
      return `Cannot reach ${at} (${method} ${path}: ${code})${tries}. The host name in ${server.addr} does not resolve from the runner: check it, or use a self-hosted runner inside the network.`
    case 'reset':
      return `Cannot reach ${at} (${method} ${path}: ${code})${tries}. The connection was reset or cut: check that ${server.addr} uses the right scheme (http/https) and that no proxy or firewall cuts the connection.`
    case 'local':
      return (
        `${server.name} ${method} ${path} was not sent: the runner ran out of a local resource (${code}: ${LOCAL_CODES[code] ?? 'resource exhausted'}). ` +
        `This is not a problem with ${server.addr} or the network. Raise the runner's open-file limit (ulimit -n), or make the run ` +
        'send fewer requests at once (fewer roles in one step, a lower max-parallel).'
      )
    case 'proxy':
      return `Cannot reach ${at} through the proxy (${method} ${path}: ${code})${tries}. Check HTTPS_PROXY/HTTP_PROXY, or add the host to NO_PROXY.`
    default:
      return `Cannot reach ${at} (${method} ${path}: ${code || 'error'})${tries}. Check the address in ${server.addr} and that the runner can reach it over the network.`
  }
}

/** A redirect the transport refuses to follow: another origin, or HTTPS to plain HTTP. */
export class RedirectError extends ActionError {
  constructor(
    server: ServerInputs,
    readonly method: string,
    readonly path: string,
    readonly status: number,
    readonly location: string,
    reason: 'origin' | 'downgrade' | 'too-many'
  ) {
    super(
      reason === 'too-many'
        ? `${server.name} ${method} ${path}: too many redirects (last Location ${location}). Check ${server.addr}.`
        : `${server.name} ${method} ${path} answered HTTP ${status} with a redirect to ${location}, ` +
            (reason === 'downgrade' ? 'which is plain HTTP while ' + server.addr + ' is HTTPS' : `another origin than ${server.addr}`) +
            '. The action never sends its token to another origin or over plain HTTP, so it did not follow it. ' +
            `Set ${server.addr} to the address that answers directly (for example ${new URL(location).origin}, ` +
            'a load balancer in front of the active node, or enable request forwarding on standbys).'
    )
    this.name = 'RedirectError'
  }
}
