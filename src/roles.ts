/**
 * The declared roles, whatever inputs declared them: the `roles` input, or the single-role inputs as one role; and
 * which Nomad namespaces each serves. Neutral ground: the Vault layer (desired state), the Nomad layer (client block,
 * role per job) and the modes all read the roles the same way.
 */
import type { RoleSettings, VaultSettings } from './config.js'

/** The declared roles: the `roles` input, or the one role of the single-role inputs (role, policy, bound-claims, ...). */
export function roleList(s: VaultSettings): RoleSettings[] {
  if (s.roles && s.roles.length > 0) return s.roles
  return [
    {
      name: s.role,
      policy: s.policy,
      kvMount: s.kvMount,
      policyText: s.policyText,
      boundClaims: s.boundClaims,
      tokenType: s.tokenType,
      tokenPeriodSeconds: s.tokenPeriodSeconds
    }
  ]
}

/** The Nomad namespaces a role is bound to (its bound claim nomad_namespace); null when it accepts any namespace. */
export function roleNamespaces(r: Pick<RoleSettings, 'boundClaims'>): string[] | null {
  const v = r.boundClaims?.nomad_namespace
  if (v === undefined) return null
  return Array.isArray(v) ? [...v] : [v]
}

/** The role without a namespace binding that takes every other namespace (the first one), else none. */
export function catchAllRole<T extends Pick<RoleSettings, 'boundClaims'>>(roles: T[]): T | undefined {
  return roles.find((r) => roleNamespaces(r) === null)
}

/** The auth method's default_role and the clients' create_from_role: the first catch-all role, else the first role. */
export function defaultRoleName(roles: RoleSettings[]): string {
  return (catchAllRole(roles) ?? roles[0]).name
}
