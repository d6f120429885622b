/** Readers for the server connections: Vault (address, token, namespace, TLS) and Nomad (address, token, TLS). */
import type { NomadConnection, VaultConnection } from '../config.js'
import { NAME_RE, PATH_SEGMENT_RE, type Collector } from './collector.js'

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
  const addr = c.url('vault-addr', c.raw('vault-addr'), {
    required: true,
    hint: 'Set it to your Vault (or OpenBao) API address, e.g. https://vault.example.com:8200.'
  })
  for (const p of signIn.problems(token, nomadToken)) c.problem(p)
  if (!token && signIn.tokenSignIn) {
    c.problem(
      'Input "vault-token" is empty. Pass a Vault token with the policy in the README ("Vault token policy"), e.g. vault-token: ${{ secrets.VAULT_TOKEN }}; an empty value usually means the secret is not available to this workflow (forks, environments).'
    )
  }
  const namespace = c.raw('vault-namespace').replace(/^\/+|\/+$/g, '')
  if (namespace && !namespace.split('/').every((s) => PATH_SEGMENT_RE.test(s))) {
    c.problem(`Input "vault-namespace" is not a valid namespace path: "${namespace}".`)
  }
  const caPem = c.pem('vault-ca-cert')
  const skipVerify = c.bool('vault-skip-verify')
  return { addr, token, namespace, caPem, skipVerify }
}

export function readNomadConnection(c: Collector): NomadConnection {
  const token = c.secret('nomad-token')
  const addr = c.url('nomad-addr', c.raw('nomad-addr'), { required: false })
  const caPem = c.pem('nomad-ca-cert')
  const skipVerify = c.bool('nomad-skip-verify')
  const namespace = c.raw('nomad-namespace')
  if (namespace && !NAME_RE.test(namespace)) c.problem(`Input "nomad-namespace" is not a valid Nomad namespace: "${namespace}".`)
  const region = c.raw('nomad-region')
  if (region && !NAME_RE.test(region)) c.problem(`Input "nomad-region" is not a valid Nomad region: "${region}".`)
  return { addr, token, caPem, skipVerify, namespace, region }
}
