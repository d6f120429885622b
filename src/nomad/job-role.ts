/** Which declared role a job logs in with when the roles input declares several (chosen by the job's namespace). */
import { ActionError } from '../errors.js'
import { roleForNamespace, type RoleChoice } from './inject.js'

export interface JobRole extends RoleChoice {
  policies: string[]
  boundClaims?: Record<string, string | string[]>
  kvMount?: string
}

/** The part of a deploy's Vault context that depends on the role. */
export interface JobVault {
  role: string
  policies: string[]
  boundClaims?: Record<string, string | string[]>
  kvMount?: string
  roles?: JobRole[]
}

/**
 * The Vault context of one job: with several roles, the role of the job's namespace (roleForNamespace). A job whose
 * namespace no role serves is an error when the action injects the role, and left as it is otherwise.
 */
export function vaultForJob<T extends JobVault>(vault: T, namespace: string, jobId: string, inject: boolean): T {
  if (!vault.roles || vault.roles.length < 2) return vault
  const r = roleForNamespace(vault.roles, namespace)
  if (!r && !inject) return vault
  if (!r) {
    const served = vault.roles.map((x) => `${x.name} (${x.namespaces?.join(', ') ?? 'any'})`).join('; ')
    throw new ActionError(
      `Job "${jobId}" is in Nomad namespace "${namespace}", and no role of the roles input serves it: ${served}. ` +
        `Add "${namespace}" to a role's namespace, or add a role without a namespace binding.`
    )
  }
  return { ...vault, role: r.name, policies: r.policies, boundClaims: r.boundClaims, kvMount: r.kvMount ?? vault.kvMount }
}
