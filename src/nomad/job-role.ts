/** Which declared role a job logs in with when the roles input declares several (chosen by the job's namespace). */
import type { Config } from '../config.js'
import { ActionError } from '../errors.js'
import { defaultRoleName, roleList, roleNamespaces } from '../roles.js'
import type { DeployVaultContext } from './deploy-job.js'
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

/** What every job's Vault block and diagnosis refer to: the declared roles, as the inputs give them. */
export function deployVaultContext(cfg: Config): DeployVaultContext {
  const [first] = roleList(cfg.settings)
  const audience = cfg.settings.audience
  return {
    role: first.name,
    audience,
    authPath: cfg.settings.authPath.replace(/^\/+|\/+$/g, ''),
    policies: [first.policy],
    boundAudiences: [audience],
    kvMount: cfg.settings.kvMount,
    boundClaims: cfg.settings.boundClaims,
    ...jobRoles(cfg)
  }
}

/** With the roles input: every declared role, for the per-job choice by namespace, and the clients' default role. */
function jobRoles(cfg: Config): { defaultRole: string; roles: JobRole[] } {
  const roles = roleList(cfg.settings)
  return {
    defaultRole: defaultRoleName(roles),
    roles: roles.map((r) => ({ name: r.name, namespaces: roleNamespaces(r), policies: [r.policy], boundClaims: r.boundClaims, kvMount: r.kvMount }))
  }
}
