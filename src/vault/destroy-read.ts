/**
 * The reads of a `mode: destroy`, all before the first delete: the auth method, every role on it (LIST), the
 * declared roles and policies, the roles on every auth method that still name a declared policy, and the logins
 * through the auth method (entity aliases). Through the Vault client, whose requests are bounded (vault-client.ts).
 */
import type { VaultSettings } from '../config.js'
import { HttpError } from '../errors.js'
import { mapLimit } from '../pool.js'
import { VAULT_CONCURRENCY, type VaultApi } from './vault-client.js'
import { mountPathOf, policyNames, type DestroyState } from './destroy-plan.js'
import { dataOf, loginsThrough, policyOf, readMounts } from './read-back.js'

/** Where an auth method of a type keeps its role-like objects (those with token_policies); the rest use `role`. */
const ROLE_DIRS: Record<string, string> = { userpass: 'users', cert: 'certs', ldap: 'groups', okta: 'groups', radius: 'users' }

export async function readDestroyState(api: VaultApi, s: VaultSettings): Promise<DestroyState> {
  const mountPath = mountPathOf(s)
  const names = policyNames(s)
  const [mounts, ...texts] = await Promise.all([readMounts(api), ...names.map((n) => api.read(`sys/policies/acl/${n}`))])
  const m = mounts[`${mountPath}/`]
  const mount = m ? { type: m.type, accessor: m.accessor, description: m.description ?? '' } : null
  const policies: DestroyState['policies'] = {}
  names.forEach((n, i) => {
    policies[n] = policyOf(texts[i], api.addr, `sys/policies/acl/${n}`)
  })
  const declared = s.roles
  const state: DestroyState = { mount, roles: {}, policies, mountRoles: [], policyUsers: {}, unchecked: [], logins: 0 }
  // Roles only exist under a JWT mount (another type would answer something else at that path).
  if (mount?.type === 'jwt') {
    const [listed, logins, ...roleRes] = await Promise.all([
      api.list(`auth/${mountPath}/role`),
      loginsThrough(api, mount.accessor).catch((e: unknown) => {
        if (e instanceof HttpError && e.status === 403) return null
        throw e
      }),
      ...declared.map((r) => api.read(`auth/${mountPath}/role/${r.name}`))
    ])
    state.mountRoles = listed
    state.logins = logins
    declared.forEach((r, i) => {
      state.roles[r.name] = dataOf(roleRes[i], api.addr, `auth/${mountPath}/role/${r.name}`)
    })
  }
  for (const r of declared) state.roles[r.name] ??= null
  const deleting = names.filter((n) => policies[n] !== null)
  if (deleting.length > 0) {
    const keep = new Set(mount?.type === 'jwt' ? declared.map((r) => `auth/${mountPath}/role/${r.name}`) : [])
    const scan = await policyUsers(api, mounts, keep)
    state.unchecked = scan.unchecked
    for (const n of deleting) state.policyUsers[n] = scan.users.filter((u) => u.policies.includes(n)).map((u) => u.path)
  }
  return state
}

/**
 * Every role-like object on every auth method (but the token store and those in `skip`) with the policies it grants.
 * An auth method whose roles the token may not list or read (403) is reported in `unchecked`; one that has no such
 * objects answers 400, 404 or 405 and is skipped.
 */
async function policyUsers(
  api: VaultApi,
  mounts: Record<string, { type: string }>,
  skip: Set<string>
): Promise<{ users: { path: string; policies: string[] }[]; unchecked: string[] }> {
  const unchecked = new Set<string>()
  const refused = (e: unknown, mount: string): boolean => {
    if (!(e instanceof HttpError)) return false
    if (e.status === 403) unchecked.add(mount)
    return [400, 403, 404, 405].includes(e.status)
  }
  const dirs = Object.entries(mounts)
    .filter(([, m]) => m.type !== 'token')
    .map(([key, m]) => ({ mount: key.replace(/\/$/, ''), dir: `auth/${key}${ROLE_DIRS[m.type] ?? 'role'}` }))
  const listed = await mapLimit(dirs, VAULT_CONCURRENCY, async ({ mount, dir }) => {
    try {
      return (await api.list(dir)).map((name) => ({ mount, path: `${dir}/${name}` })).filter((r) => !skip.has(r.path))
    } catch (e) {
      if (refused(e, mount)) return []
      throw e
    }
  })
  const roles = listed.flat()
  const read = await mapLimit(roles, VAULT_CONCURRENCY, async ({ mount, path }) => {
    try {
      const data = dataOf(await api.read(path), api.addr, path) ?? {}
      const policies = [data.token_policies, data.policies].flatMap((p) => (Array.isArray(p) ? p.map(String) : []))
      return { path, policies }
    } catch (e) {
      if (refused(e, mount)) return { path, policies: [] }
      throw e
    }
  })
  return { users: read, unchecked: [...unchecked] }
}
