/**
 * The read side of a reconcile: what Vault has now (the mount, its config, the declared roles and policies, and
 * with the roles input or prune the managed roles that are no longer declared), read in parallel.
 */
import type { VaultSettings } from '../config.js'
import { HttpError } from '../errors.js'
import type { VaultApi } from './vault-client.js'
import { MOUNT_DESCRIPTION, POLICY_MARKER } from './desired.js'
import type { CurrentState, UndeclaredState } from './plan-vault.js'
import { dataOf, parseMounts, policyOf } from './read-back.js'

/**
 * Reads the current state in parallel: the mount list, the config, every declared role and policy (and, with the
 * roles input or prune, the list of roles on the mount). The reads under the mount and the policy reads only matter
 * when the mount exists: if it does not, a 400/403/404 from them is ignored (the token may only have access once
 * it exists). Undeclared roles on a managed mount, and the marked policies only they use, are read in a second round.
 */
export async function readCurrentState(api: VaultApi, settings: VaultSettings): Promise<CurrentState> {
  const path = settings.authPath.replace(/^\/+|\/+$/g, '')
  const declared = settings.roles
  const policyNames = [...new Set(declared.map((r) => r.policy))]
  const listRoles = settings.rolesInput || settings.prune === true
  const soft = <T>(p: Promise<T>) =>
    p.then(
      (value) => ({ ok: true as const, value }),
      (error: unknown) => ({ ok: false as const, error })
    )
  const [mounts, config, names, ...rest] = await Promise.all([
    api.read('sys/auth'),
    soft(api.read(`auth/${path}/config`)),
    listRoles ? soft(api.list(`auth/${path}/role`)) : Promise.resolve({ ok: true as const, value: [] as string[] }),
    ...declared.map((r) => soft(api.read(`auth/${path}/role/${r.name}`))),
    ...policyNames.map((n) => soft(api.read(`sys/policies/acl/${n}`)))
  ])
  const mount = parseMounts(mounts, api.addr)[`${path}/`] ?? null
  const settle = <T>(r: { ok: true; value: T } | { ok: false; error: unknown }): T | null => {
    if (r.ok) return r.value
    if (!mount && r.error instanceof HttpError && [400, 403, 404].includes(r.error.status)) return null
    throw r.error
  }
  const roles: Record<string, Record<string, unknown> | null> = {}
  declared.forEach((r, i) => {
    const res = settle(rest[i])
    roles[r.name] = mount ? dataOf(res, api.addr, `auth/${path}/role/${r.name}`) : null
  })
  const policies: Record<string, string | null> = {}
  policyNames.forEach((n, i) => {
    policies[n] = policyOf(settle(rest[declared.length + i]), api.addr, `sys/policies/acl/${n}`)
  })
  const configRes = settle(config)
  const listed = (settle(names) ?? []) as string[]
  const managed = mount?.type === 'jwt' && mount.description?.trim() === MOUNT_DESCRIPTION
  const extra = managed ? listed.filter((n) => !(n in roles)) : []
  return {
    mount,
    authConfig: mount ? dataOf(configRes, api.addr, `auth/${path}/config`) : null,
    roles,
    policies,
    ...(listRoles && mount ? { undeclared: await readUndeclared(api, path, extra, policyNames) } : {})
  }
}

/** Undeclared roles (as read) and the marked policies that only they use. */
async function readUndeclared(api: VaultApi, path: string, names: string[], declaredPolicies: string[]): Promise<UndeclaredState> {
  const out: UndeclaredState = { roles: {}, policies: {} }
  const data = await Promise.all(names.map((n) => api.read(`auth/${path}/role/${n}`)))
  names.forEach((n, i) => {
    const d = dataOf(data[i], api.addr, `auth/${path}/role/${n}`)
    if (d) out.roles[n] = d
  })
  const used = new Set(Object.values(out.roles).flatMap((r) => (Array.isArray(r.token_policies) ? r.token_policies.map(String) : [])))
  const candidates = [...used].filter((p) => !declaredPolicies.includes(p) && p !== 'default' && p !== 'root')
  const texts = await Promise.all(candidates.map((p) => api.read(`sys/policies/acl/${p}`)))
  candidates.forEach((p, i) => {
    const text = policyOf(texts[i], api.addr, `sys/policies/acl/${p}`)
    if (text?.trimStart().startsWith(POLICY_MARKER)) out.policies[p] = text
  })
  return out
}
