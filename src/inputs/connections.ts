/**
 * Readers for the server connections: Vault (address, token, namespace, TLS) and Nomad (address, token, TLS), each
 * with its client certificate (mTLS) and TLS server name, and the retry and timeout settings both share.
 */
import { X509Certificate, createPrivateKey } from 'node:crypto'
import type { NomadConnection, ServerConnection, TransportSettings, VaultConnection } from '../config.js'
import type { Collector } from './collector.js'

/**
 * The Vault connection. `signIn` (src/auth) checks the sign-in inputs against the tokens read here; the token is
 * required only when the action signs in to Vault with it (`tokenSignIn`).
 */
export function readVaultConnection(
  c: Collector,
  signIn: { tokenSignIn: boolean; problems: (vaultToken: string, nomadToken: string) => string[] }
): VaultConnection {
  const token = c.secret('vault-token')
  const nomadToken = c.secret('nomad-token')
  const addr = c.url('vault-addr', 'Set it to your Vault (or OpenBao) API address, e.g. https://vault.example.com:8200.')
  for (const p of signIn.problems(token, nomadToken)) c.problem(p)
  if (!token && signIn.tokenSignIn) {
    c.problem(
      'Input "vault-token" is empty. Pass a Vault token with the policy in the README ("Vault token policy"), e.g. vault-token: ${{ secrets.VAULT_TOKEN }}; an empty value usually means the secret is not available to this workflow (forks, environments).'
    )
  }
  const namespace = c.name('vault-namespace').replace(/^\/+|\/+$/g, '')
  const caPem = c.pem('vault-ca-cert')
  const skipVerify = c.bool('vault-skip-verify')
  return {
    addr,
    token,
    namespace,
    caPem,
    skipVerify,
    ...readClientTls(c, { cert: 'vault-client-cert', key: 'vault-client-key', serverName: 'vault-tls-server-name' })
  }
}

export function readNomadConnection(c: Collector): NomadConnection {
  const token = c.secret('nomad-token')
  const addr = c.url('nomad-addr')
  const caPem = c.pem('nomad-ca-cert')
  const skipVerify = c.bool('nomad-skip-verify')
  const namespace = c.name('nomad-namespace')
  const region = c.name('nomad-region')
  return {
    addr,
    token,
    caPem,
    skipVerify,
    namespace,
    region,
    ...readClientTls(c, { cert: 'nomad-client-cert', key: 'nomad-client-key', serverName: 'nomad-tls-server-name' })
  }
}

/** `max-retries` and `request-timeout`: one setting for every server the action talks to. */
export function readTransportSettings(c: Collector): TransportSettings {
  const maxRetries = c.int('max-retries')
  const timeout = c.duration('request-timeout')
  return { maxRetries, requestTimeoutMs: Math.round(timeout.seconds * 1000) }
}

type ClientTls = Pick<ServerConnection, 'clientCert' | 'clientKey' | 'tlsServerName'>

/**
 * `<server>-client-cert`, `<server>-client-key` (PEM text or a path; both or neither; the key must belong to the
 * certificate) and `<server>-tls-server-name` (a DNS name to send as SNI and to check the server certificate against).
 */
export function readClientTls(c: Collector, inputs: { cert: string; key: string; serverName: string }): ClientTls {
  const { cert: certInput, key: keyInput, serverName: nameInput } = inputs
  const clientKey = c.pemKey(keyInput)
  const clientCert = c.pem(certInput)
  const tlsServerName = c.name(nameInput)
  const given = (input: string) => c.raw(input) !== ''
  if (given(certInput) !== given(keyInput)) {
    const [has, missing] = given(certInput) ? [certInput, keyInput] : [keyInput, certInput]
    c.problem(`Input "${has}" is set but "${missing}" is not: mTLS needs both the client certificate and its private key.`)
  } else if (clientCert && clientKey) {
    try {
      if (!new X509Certificate(clientCert).checkPrivateKey(createPrivateKey(clientKey))) {
        c.problem(
          `Input "${keyInput}" is not the private key of the certificate in "${certInput}": pass the key that was issued with that certificate.`
        )
      }
    } catch (e) {
      c.problem(`Inputs "${certInput}" / "${keyInput}" cannot be loaded: ${(e as Error).message}. Pass an unencrypted PEM certificate and key.`)
    }
  }
  return { clientCert, clientKey, tlsServerName: tlsServerName || undefined }
}
