/**
 * The one-time setup that "Sign in with GitHub OIDC" in the README describes, done against a test OpenBao and the
 * Nomad double's options, for a repository and a ref pattern. Shared by the integration, e2e and act tests.
 */
import type { AclLoginOptions } from './nomad-double/options.js'
import type { OidcIssuer } from './oidc-issuer.js'
import type { OpenBao } from './openbao.js'

export const DEPLOY_AUDIENCE = 'nomad-vault-action'

/** Vault: a JWT mount "jwt" trusting the issuer, and a role (default "deploy") bound to repository and ref (glob). */
export async function setupVaultOidc(
  bao: OpenBao,
  issuer: OidcIssuer,
  opts: { repository?: string; ref?: string; policies?: string[]; mount?: string; role?: string; namespace?: string } = {}
): Promise<void> {
  const mount = opts.mount ?? 'jwt'
  const ns = opts.namespace ? `${opts.namespace}/` : '' // Vault takes the namespace as a path prefix too
  const mounts = await bao.api('GET', `${ns}sys/auth`)
  if (!mounts.data[`${mount}/`]) await bao.api('POST', `${ns}sys/auth/${mount}`, { type: 'jwt' })
  await bao.api('POST', `${ns}auth/${mount}/config`, { oidc_discovery_url: issuer.url, bound_issuer: issuer.url })
  await bao.api('POST', `${ns}auth/${mount}/role/${opts.role ?? 'deploy'}`, {
    role_type: 'jwt',
    user_claim: 'job_workflow_ref',
    bound_audiences: [DEPLOY_AUDIENCE],
    bound_claims_type: 'glob',
    bound_claims: { repository: opts.repository ?? 'acme/web', ref: opts.ref ?? 'refs/tags/v*' },
    token_policies: opts.policies ?? ['root-like-for-tests'],
    token_ttl: '10m'
  })
}

/** A policy for the action's token in tests: everything the action does, on any path (the README gives the minimal one). */
export async function setupActionPolicy(bao: OpenBao, name = 'root-like-for-tests'): Promise<void> {
  await bao.api('POST', `sys/policies/acl/${name}`, {
    policy: 'path "*" { capabilities = ["create", "read", "update", "delete", "list", "sudo"] }'
  })
}

/** Nomad: a JWT auth method "github" and binding rules for the repository's tags and pull requests. */
export function nomadOidcAcl(issuer: OidcIssuer, opts: { repository?: string } = {}): AclLoginOptions {
  return {
    authMethods: [
      {
        Name: 'github',
        Type: 'JWT',
        TokenLocality: 'local',
        MaxTokenTTL: '10m',
        Config: {
          JWKSURL: issuer.jwksUrl,
          BoundIssuer: [issuer.url],
          BoundAudiences: [DEPLOY_AUDIENCE],
          SigningAlgs: ['RS256'],
          ClaimMappings: { repository: 'repository', ref: 'ref', ref_type: 'ref_type', event_name: 'event_name' }
        }
      }
    ],
    // The double's policies "submit" (read + submit-job) and "agent-read" stand for a real policy such as the README's.
    // Tags deploy; pull requests plan (Nomad's plan endpoint needs submit-job too).
    bindingRules: ['value.ref_type == "tag"', 'value.event_name == "pull_request"'].flatMap((which) =>
      ['submit', 'agent-read'].map((policy) => ({
        AuthMethod: 'github',
        Selector: `value.repository == "${opts.repository ?? 'acme/web'}" and ${which}`,
        BindType: 'policy' as const,
        BindName: policy
      }))
    )
  }
}
