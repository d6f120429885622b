/**
 * Nomad's signing keys, used by the Vault layer (key-source: static) and by key checks: fetch the JWKS
 * (/.well-known/jwks.json) through the shared transport and convert it to PEM public keys for Vault's
 * jwt_validation_pubkeys. Neutral ground: neither vault/ nor nomad/ code, so both may import it.
 */
import { createHash, createPublicKey } from 'node:crypto'
import { exportSPKI, importJWK, type JWK } from 'jose'
import type { ServerConnection } from '../config.js'
import { ActionError, errorMessage } from '../errors.js'
import {
  NetworkError,
  RedirectError,
  redact,
  safeUrl,
  Transport,
  type ServerInputs,
  type TlsSettings,
  type TransportResponse
} from '../transport/index.js'

export interface Jwks {
  keys: JWK[]
}

const JWKS_INPUTS: ServerInputs = { name: 'the Nomad JWKS', addr: 'jwks-url', ca: 'jwks-ca-cert' }

/**
 * The TLS settings for the runner's own JWKS fetch. When jwks-url is on the nomad-addr origin (the default), it is
 * Nomad's HTTPS API: Nomad's client certificate (a listener with verify_https_client asks for one on every path),
 * server name and, without jwks-ca-cert, nomad-ca-cert apply. Another origin gets jwks-ca-cert only.
 */
export function runnerJwksTls(jwksUrl: string, jwksCaPem: string | undefined, nomad: ServerConnection): TlsSettings {
  let sameOrigin = false
  try {
    sameOrigin = !!nomad.addr && new URL(jwksUrl).origin === new URL(nomad.addr).origin
  } catch {
    sameOrigin = false
  }
  if (!sameOrigin) return { ca: jwksCaPem }
  return { ca: jwksCaPem ?? nomad.caPem, cert: nomad.clientCert, key: nomad.clientKey, servername: nomad.tlsServerName }
}

/** GETs a JWKS. Every failure is an ActionError naming jwks-url, the URL and the fix. */
export async function fetchJwks(url: string, tls: TlsSettings = {}, timeoutMs = 30_000): Promise<Jwks> {
  const shown = safeUrl(url)
  let res: TransportResponse
  try {
    const target = new URL(url)
    const transport = new Transport({ base: target.origin, server: JWKS_INPUTS, tls, timeoutMs })
    // The URL's own userinfo is never sent on (it is not a credential the JWKS endpoint takes).
    res = await transport.request({ method: 'GET', path: `${target.pathname}${target.search}`, headers: { Accept: 'application/json' } })
  } catch (err) {
    if (err instanceof RedirectError) throw err
    const code = err instanceof NetworkError ? err.code : ''
    const tlsProblem = err instanceof NetworkError && (err.kind === 'tls' || err.kind === 'client-cert')
    throw new ActionError(
      `Cannot fetch the Nomad JWKS from jwks-url "${shown}": ${code || redact(errorMessage(err))}. ` +
        (tlsProblem
          ? "Set jwks-ca-cert to the CA of Nomad's HTTPS certificate, and check the host name in jwks-url."
          : 'With key-source: static the GitHub runner fetches the keys: check the URL, port and that the runner can reach Nomad.')
    )
  }
  if (res.status !== 200) {
    const snippet = redact(res.body.replace(/\s+/g, ' ').trim().slice(0, 200))
    throw new ActionError(
      `GET jwks-url "${shown}" returned HTTP ${res.status}${snippet ? `: ${snippet}` : ''}. ` +
        "jwks-url must be Nomad's /.well-known/jwks.json (Nomad 1.7+), e.g. https://nomad.example.com:4646/.well-known/jwks.json."
    )
  }
  let body: unknown
  try {
    body = JSON.parse(res.body)
  } catch {
    throw new ActionError(
      `jwks-url "${shown}" did not return JSON (content-type ${res.headers['content-type'] ?? 'unknown'}). ` +
        "It must be Nomad's /.well-known/jwks.json."
    )
  }
  return asJwks(body, shown)
}

function asJwks(body: unknown, source: string): Jwks {
  const keys = (body as { keys?: unknown } | null)?.keys
  if (!body || typeof body !== 'object' || !Array.isArray(keys) || keys.some((k) => !k || typeof k !== 'object')) {
    throw new ActionError(`${source} is not a JWKS (expected {"keys":[…]}). jwks-url must be Nomad's /.well-known/jwks.json.`)
  }
  return { keys: keys as JWK[] }
}

/**
 * Converts the signing keys of a JWKS to SPKI PEM ("-----BEGIN PUBLIC KEY-----"). RSA and Ed25519 (OKP) keys
 * are converted; keys whose `use` is not `sig` and other key types are skipped. Throws if no key is left.
 */
export async function jwksToPem(jwks: unknown, source = 'the JWKS from jwks-url'): Promise<string[]> {
  const set = asJwks(jwks, source)
  const pems: string[] = []
  const skipped: string[] = []
  for (const [i, key] of set.keys.entries()) {
    const label = key.kid ? `kid ${key.kid}` : `key #${i + 1}`
    if (key.use !== undefined && key.use !== 'sig') {
      skipped.push(`${label}: use "${key.use}"`)
      continue
    }
    let alg: string
    let pub: JWK
    if (key.kty === 'RSA') {
      if (typeof key.n !== 'string' || typeof key.e !== 'string') throw badKey(source, label, 'RSA key without n/e')
      alg = 'RS256'
      pub = { kty: 'RSA', n: key.n, e: key.e }
    } else if (key.kty === 'OKP' && key.crv === 'Ed25519') {
      if (typeof key.x !== 'string') throw badKey(source, label, 'Ed25519 key without x')
      alg = 'EdDSA'
      pub = { kty: 'OKP', crv: 'Ed25519', x: key.x }
    } else {
      skipped.push(`${label}: kty "${String(key.kty)}"${key.crv ? ` crv "${key.crv}"` : ''}`)
      continue
    }
    try {
      const imported = await importJWK(pub, alg, { extractable: true })
      if (imported instanceof Uint8Array) throw new Error('symmetric key')
      const pem = (await exportSPKI(imported)).trim() + '\n'
      const bits = createPublicKey(pem).asymmetricKeyDetails?.modulusLength
      if (alg === 'RS256' && (!bits || bits < 2048)) throw new Error(`RSA modulus of ${bits ?? 0} bits, 2048 or more expected`)
      pems.push(pem)
    } catch (err) {
      throw badKey(source, label, errorMessage(err))
    }
  }
  if (pems.length === 0) {
    throw new ActionError(
      `${source} has no usable signing key (RSA or Ed25519 with use "sig")` +
        (skipped.length ? `; skipped ${skipped.join(', ')}` : '; it is empty') +
        ". Check that jwks-url is Nomad's /.well-known/jwks.json."
    )
  }
  return pems
}

function badKey(source: string, label: string, detail: string): ActionError {
  return new ActionError(`${source}: ${label} is not a valid public key (${detail}).`)
}

/**
 * A short, stable fingerprint of a PEM (a key or a CA bundle) for messages: "sha256:" + 16 hex digits of the
 * SHA-256 of the DER bytes (all PEM blocks), or of the trimmed text when it holds no PEM block.
 */
export function keyFingerprint(pem: string): string {
  const blocks = [...pem.matchAll(/-----BEGIN [^-]+-----([\s\S]*?)-----END [^-]+-----/g)]
  const hash = createHash('sha256')
  if (blocks.length === 0) hash.update(pem.trim())
  for (const b of blocks) hash.update(Buffer.from(b[1].replace(/\s+/g, ''), 'base64'))
  return `sha256:${hash.digest('hex').slice(0, 16)}`
}
