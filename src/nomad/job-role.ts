/**
 * The Vault side every job of a deploy refers to (DeployVaultContext: the declared roles, the audience, the auth
 * method), and which declared role one job logs in with when there are several (chosen by the job's namespace).
 */
import type { Config, RoleSettings } from '../config.js'
import { ActionError } from '../errors.js'
import { defaultRoleName, roleForNamespace, roleNamespaces } from '../role-choice.js'

/** What every job's Vault block, cluster check and diagnosis refer to, as the inputs give it. */
export interface DeployVaultContext {
  audience: string
  /** JWT auth mount path, without slashes. */
  authPath: string
  /** The roles' bound_audiences as written to Vault. */
  boundAudiences: string[]
  /** Every declared role, in input order (never empty). With one, every job gets it. */
  roles: RoleSettings[]
  /** The clients' create_from_role: the role of tasks whose vault block names none. */
  defaultRole: string
}

/** The run's Vault context, from the inputs alone. */
export function deployVaultContext(cfg: Config): DeployVaultContext {
  const audience = cfg.settings.audience
  return {
    audience,
    authPath: cfg.settings.authPath.replace(/^\/+|\/+$/g, ''),
    boundAudiences: [audience],
    roles: cfg.settings.roles,
    defaultRole: defaultRoleName(cfg.settings.roles)
  }
}

/**
 * The role a job logs in with: the only one, or with several the role of the job's namespace (roleForNamespace). A
 * job whose namespace no role serves is an error when the action injects the role, and gets the first role otherwise
 * (its vault blocks are left as they are).
 */
export function jobRole(vault: Pick<DeployVaultContext, 'roles'>, namespace: string, jobId: string, inject: boolean): RoleSettings {
  const [first] = vault.roles
  if (vault.roles.length < 2) return first
  const r = roleForNamespace(vault.roles, namespace)
  if (r) return r
  if (!inject) return first
  const served = vault.roles.map((x) => `${x.name} (${roleNamespaces(x)?.join(', ') ?? 'any'})`).join('; ')
  throw new ActionError(
    `Job "${jobId}" is in Nomad namespace "${namespace}", and no role of the roles input serves it: ${served}. ` +
      `Add "${namespace}" to a role's namespace, or add a role without a namespace binding.`
  )
}
