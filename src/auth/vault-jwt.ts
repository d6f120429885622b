/**
 * Login mode "jwt" for Vault: trades the workflow's GitHub OIDC token for a Vault token at
 * auth/<vault-auth-path>/login (Vault's JWT auth method, POST {role, jwt} -> auth.client_token), with the namespace
 * header when vault-namespace is set. The token is masked at once and revoked (auth/token/revoke-self) when the
 * action ends. Neither the JWT nor the login body is ever logged.
 */
import * as core from '@actions/core'
import type { VaultAuthSettings, VaultConnection } from '../config.js'
import { ActionError, HttpError, errorMessage } from '../errors.js'
import { createVaultApi, type VaultSecret } from '../vault/vault-client.js'
import { getGitHubIdToken, type IdTokenOptions } from './github-oidc.js'
import type { Credential, LoginMode } from './types.js'

export function vaultJwtLogin(conn: VaultConnection, settings: VaultAuthSettings, idToken: IdTokenOptions = {}): LoginMode {
  return {
    async login() {
      const jwt = await getGitHubIdToken(settings.audience, 'vault-auth-method: jwt', idToken)
      const api = createVaultApi({ ...conn, token: '' })
      const where = `auth/${settings.path}/login`
      let body: VaultSecret | null
      try {
        body = await api.write(where, { role: settings.role, jwt })
      } catch (err) {
        throw vaultLoginError(err, settings, api.addr)
      }
      const token = body?.auth?.client_token
      if (!token) throw new ActionError(`Vault at ${api.addr} answered the JWT login at ${where} without auth.client_token.`)
      core.setSecret(token)
      return vaultCredential(conn, token, `a JWT login at auth/${settings.path} (role ${settings.role})`)
    }
  }
}

/**
 * The revocation's own bound: one attempt of at most this long and one retry, so that it fits in the time a
 * cancelled run has left before its forced exit (src/cancel.ts) whatever the request-timeout input says.
 */
export const REVOKE_TIMEOUT_MS = 1200

/** A Vault token the action obtained: revoke() sends auth/token/revoke-self with it (once; later calls await the same). */
export function vaultCredential(conn: VaultConnection, token: string, source: string): Credential {
  let revoking: Promise<boolean> | undefined
  const revokeOnce = async () => {
    try {
      await createVaultApi({ ...conn, token, transport: { maxRetries: 1, requestTimeoutMs: REVOKE_TIMEOUT_MS } }).write('auth/token/revoke-self', {})
      core.info('Vault: the token from the JWT login is revoked (auth/token/revoke-self).')
      return true
    } catch (err) {
      core.warning(`Vault: could not revoke the token from the JWT login: ${errorMessage(err)}. It expires with its TTL.`)
      return false
    }
  }
  return {
    server: 'Vault',
    token,
    source,
    obtained: true,
    revoke() {
      revoking ??= revokeOnce()
      return revoking
    }
  }
}

function vaultLoginError(err: unknown, s: VaultAuthSettings, addr: string): ActionError {
  if (!(err instanceof HttpError)) return err instanceof ActionError ? err : new ActionError(errorMessage(err))
  const m = err.serverMessage
  const audience = s.audience ? `"${s.audience}"` : `GitHub's default, the repository owner's URL (https://github.com/${ownerOf()})`
  let fix: string
  if (/role .* could not be found|role not found/i.test(m)) {
    fix = `Create the role "${s.role}" on that mount, or fix the input vault-auth-role.`
  } else if (/aud/i.test(m)) {
    fix = `The role's bound_audiences must contain the GitHub token's audience: vault-oidc-audience is ${audience}. Make them match.`
  } else if (/bound claim|claim .*not match|does not match/i.test(m)) {
    fix =
      `The role's bound_claims (or bound_subject) do not accept this run: repository "${process.env.GITHUB_REPOSITORY ?? '?'}", ` +
      `ref "${process.env.GITHUB_REF ?? '?'}". Bind the role to this repository and ref, or run from a ref it allows.`
  } else if (/iss/i.test(m)) {
    fix = "The mount's bound_issuer must be GitHub's issuer, https://token.actions.githubusercontent.com (or your GHES issuer)."
  } else if (err.status === 403 || err.status === 404 || /no handler for route|permission denied/i.test(m)) {
    fix = `Check that a JWT auth method is mounted at "${s.path}" (input vault-auth-path) in the Vault namespace of vault-namespace; see docs/sign-in.md, section "One-time Vault setup".`
  } else {
    fix = 'See docs/sign-in.md, section "One-time Vault setup".'
  }
  return new ActionError(
    `Vault at ${addr} refused the JWT login at auth/${s.path}/login (role "${s.role}") with HTTP ${err.status}: ${m || '(empty response)'}. ${fix}`
  )
}

function ownerOf(): string {
  return (process.env.GITHUB_REPOSITORY ?? '<owner>/').split('/')[0]
}
