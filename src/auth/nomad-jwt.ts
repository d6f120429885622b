/**
 * Login mode "jwt" for Nomad: trades the workflow's GitHub OIDC token for a Nomad ACL token through the ACL auth
 * method nomad-auth-method-name (type JWT): POST /v1/acl/login {"AuthMethodName","LoginToken"} answers the new
 * ACLToken, whose SecretID the action uses. Nomad's refusals are turned into messages that say what to fix.
 *
 * Nomad's answers (nomad/acl_endpoint.go, ACL.Login, v1.10):
 *   400 `auth-method "<name>" not found`
 *   401 `unable to validate provided token: <why>` (signature, audience, issuer, expiry)
 *   400 `no role or policy bindings matched` (no binding rule selector matched, or the role/policy it names is missing)
 *   400 `ACL support disabled`
 * A token from a JWT login is a client token: deleting it needs a management token (ACL.DeleteTokens), so the action
 * cannot end it itself. It expires after the auth method's MaxTokenTTL.
 */
import * as core from '@actions/core'
import type { NomadAuthSettings, NomadConnection } from '../config.js'
import { ActionError, HttpError, errorMessage } from '../errors.js'
import { NomadClient } from '../nomad/nomad-client.js'
import { getGitHubIdToken, type IdTokenOptions } from './github-oidc.js'
import type { LoginMode } from './types.js'

/** The subset of Nomad's api.ACLToken the action reads. */
interface AclToken {
  AccessorID?: string
  SecretID?: string
  Type?: string
  ExpirationTime?: string
}

export function nomadJwtLogin(conn: NomadConnection, settings: NomadAuthSettings, idToken: IdTokenOptions = {}): LoginMode {
  return {
    async login() {
      const jwt = await getGitHubIdToken(settings.audience, 'nomad-auth-method: jwt', idToken)
      const client = new NomadClient({ ...conn, token: '' }, { retries: 0 })
      let token: AclToken
      try {
        token = await client.api.acl().login<AclToken>({ AuthMethodName: settings.methodName, LoginToken: jwt })
      } catch (err) {
        throw nomadLoginError(err, settings)
      }
      if (!token?.SecretID) throw new ActionError('Nomad answered POST /v1/acl/login without a SecretID.')
      core.setSecret(token.SecretID)
      const expires = token.ExpirationTime ? `it expires at ${token.ExpirationTime}` : 'it has no expiry (set MaxTokenTTL on the auth method)'
      return {
        server: 'Nomad',
        token: token.SecretID,
        source: `a JWT login through the auth method "${settings.methodName}" (accessor ${token.AccessorID ?? '?'})`,
        obtained: true,
        async revoke() {
          core.info(
            `Nomad: the token from the JWT login cannot delete itself (that needs a management token); ${expires}. ` +
              'Keep the auth method\'s MaxTokenTTL short (docs/sign-in.md, section "Revocation").'
          )
          return true
        }
      }
    }
  }
}

function nomadLoginError(err: unknown, s: NomadAuthSettings): ActionError {
  if (!(err instanceof HttpError)) return err instanceof ActionError ? err : new ActionError(errorMessage(err))
  const m = err.serverMessage
  const run = `repository "${process.env.GITHUB_REPOSITORY ?? '?'}", ref "${process.env.GITHUB_REF ?? '?'}"`
  let fix: string
  if (/auth-method .*not found/i.test(m)) {
    fix = `Nomad has no ACL auth method named "${s.methodName}": create it (nomad acl auth-method create -type JWT, docs/sign-in.md, section "One-time Nomad setup"), or fix the input nomad-auth-method-name.`
  } else if (/no role or policy bindings matched/i.test(m)) {
    fix =
      `Nomad accepted the GitHub token but no binding rule of the auth method "${s.methodName}" gave it a role or policy (${run}). ` +
      "Check the binding rules' selectors (value.<name> only sees claims listed in the auth method's ClaimMappings) and that the role or policy they name exists."
  } else if (/unable to validate provided token/i.test(m)) {
    const aud = s.audience ? `"${s.audience}"` : "GitHub's default audience (the repository owner's URL)"
    fix =
      `Nomad could not validate the GitHub token with the auth method "${s.methodName}". Its BoundAudiences must contain ${aud} ` +
      "(input nomad-oidc-audience), its BoundIssuer GitHub's issuer, and the Nomad servers must reach its JWKSURL or OIDCDiscoveryURL."
  } else if (/ACL support disabled/i.test(m)) {
    fix = 'ACLs are disabled on this Nomad cluster, so there is nothing to log in to: use nomad-auth-method: token without a nomad-token.'
  } else {
    fix = 'See docs/sign-in.md, section "One-time Nomad setup".'
  }
  return new ActionError(`Nomad refused the JWT login (POST /v1/acl/login, HTTP ${err.status}: ${m || '(empty response)'}). ${fix}`)
}
