/**
 * Which Nomad namespaces each declared role serves, and the default role. Neutral ground: the Vault layer (desired
 * state), the Nomad layer (client block, role per job) and the modes all read the roles the same way.
 */
import type { RoleSettings } from './config.js'

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

/**
 * The role a job in Nomad namespace `namespace` logs in with: the role bound to that namespace (its bound claim
 * nomad_namespace lists it), else the first role without a namespace binding; undefined when none accepts it.
 */
export function roleForNamespace<T extends Pick<RoleSettings, 'boundClaims'>>(roles: T[], namespace: string): T | undefined {
  return roles.find((r) => roleNamespaces(r)?.includes(namespace)) ?? catchAllRole(roles)
}

/** The auth method's default_role and the clients' create_from_role: the first catch-all role, else the first role. */
export function defaultRoleName(roles: RoleSettings[]): string {
  return (catchAllRole(roles) ?? roles[0]).name
}
