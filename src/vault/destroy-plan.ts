/**
 * Pure: what a `mode: destroy` would remove, and what it must refuse. Every declared role, their policies and the
 * auth method; the roles on the auth method that this run does not remove (they would go with it); and, for each
 * object, why it goes or why it is refused (not created by the action, still used by a role this run keeps). No I/O:
 * the reads are destroy-read.ts.
 */
import type { VaultSettings } from '../config.js'
import { MOUNT_DESCRIPTION, MOUNT_DESCRIPTION_DESTROYING, POLICY_MARKER } from './desired.js'

export interface DestroyState {
  mount: { type: string; accessor: string; description: string } | null
  /** Every declared role by name: `data` of its GET, null when absent. */
  roles: Record<string, Record<string, unknown> | null>
  /** Every declared policy by name: its text, null when absent. */
  policies: Record<string, string | null>
  /** Every role on the auth method (LIST auth/<path>/role), declared or not; [] when there is no JWT mount. */
  mountRoles: string[]
  /** Declared policy → the roles this run does not remove that name it ("auth/<mount>/role/<name>"), on any auth method. */
  policyUsers: Record<string, string[]>
  /** Auth methods whose roles the token may not list or read (403): their roles could not be checked. */
  unchecked: string[]
  /** Entity aliases on the mount's accessor (every login makes one); null when they could not be counted. */
  logins: number | null
}

export interface DestroyTarget {
  resource: 'role' | 'policy' | 'auth-mount'
  path: string
  exists: boolean
  managed: boolean
  /** Why it is (not) considered managed, for messages. */
  reason: string
  /** The object as read (what a rollback writes back). */
  before?: Record<string, unknown> | string
  /** A role this run does not remove: it is never deleted on its own, but disabling the auth method takes it along. */
  withMount?: boolean
  /** What still uses it and would break: roles that name the policy, roles on the auth method. Empty: nothing. */
  inUseBy: string[]
}

/** Managed: the action's description, or the one an interrupted destroy left (the next destroy finishes the job). */
const isManagedMount = (m: DestroyState['mount']) =>
  !!m && m.type === 'jwt' && [MOUNT_DESCRIPTION, MOUNT_DESCRIPTION_DESTROYING].includes(m.description.trim())
export const mountPathOf = (s: VaultSettings) => s.authPath.replace(/^\/+|\/+$/g, '')
export const policyNames = (s: VaultSettings) => [...new Set(s.roles.map((r) => r.policy))]

/** What destroy would remove, in order: the declared roles, the roles that go with the mount, the policies, the mount. */
export function planDestroy(state: DestroyState, s: VaultSettings): DestroyTarget[] {
  const mountPath = mountPathOf(s)
  const mountManaged = isManagedMount(state.mount)
  const mountWhy = !state.mount
    ? 'does not exist'
    : state.mount.type !== 'jwt'
      ? `is an auth method of type "${state.mount.type}", which the action never removes`
      : mountManaged
        ? 'its description says it is managed by nomad-vault-action'
        : `its description "${state.mount.description}" does not say it is managed by nomad-vault-action`
  const declared = s.roles.map((r) => r.name)
  const roles: DestroyTarget[] = declared.map((name) => {
    const data = state.roles[name] ?? null
    return {
      resource: 'role',
      path: `auth/${mountPath}/role/${name}`,
      exists: !!state.mount && data !== null,
      managed: mountManaged,
      reason: mountManaged ? 'it lives on the managed auth method' : `its auth method ${mountWhy}`,
      inUseBy: [],
      ...(data ? { before: data } : {})
    }
  })
  const others: DestroyTarget[] = state.mount
    ? state.mountRoles
        .filter((name) => !declared.includes(name))
        .map((name) => ({
          resource: 'role',
          path: `auth/${mountPath}/role/${name}`,
          exists: true,
          managed: false,
          withMount: true,
          reason: 'it is not a declared role (role or roles input), so this run does not remove it; disabling the auth method would delete it',
          inUseBy: []
        }))
    : []
  const policies: DestroyTarget[] = policyNames(s).map((name) => {
    const text = state.policies[name] ?? null
    const marked = text !== null && text.trimStart().startsWith(POLICY_MARKER)
    return {
      resource: 'policy',
      path: `sys/policies/acl/${name}`,
      exists: text !== null,
      managed: marked,
      reason: marked ? 'its first line is the nomad-vault-action marker' : 'its first line is not the nomad-vault-action marker',
      inUseBy: text !== null ? (state.policyUsers[name] ?? []) : [],
      ...(text !== null ? { before: text } : {})
    }
  })
  const mount: DestroyTarget = {
    resource: 'auth-mount',
    path: `sys/auth/${mountPath}`,
    exists: !!state.mount,
    managed: mountManaged,
    reason: mountWhy,
    inUseBy: others.map((t) => t.path)
  }
  if (state.mount) mount.before = { ...state.mount }
  return [...roles, ...others, ...policies, mount]
}

/** Why a target that exists may not go without force (undefined: it may go). */
export function refusal(t: DestroyTarget): string | undefined {
  if (t.withMount) return 'a role this run does not remove'
  if (!t.managed) return t.reason
  if (t.inUseBy.length === 0) return undefined
  return t.resource === 'auth-mount'
    ? `it holds role(s) this run does not remove: ${t.inUseBy.join(', ')} (disabling it deletes them and revokes their tokens)`
    : `role(s) this run does not remove still name it: ${t.inUseBy.join(', ')}`
}

/** The warnings of a destroy: logins through the mount, auth methods whose roles could not be checked. */
export function destroyWarnings(state: DestroyState, targets: DestroyTarget[], mountPath: string): string[] {
  const out: string[] = []
  const mount = targets.find((t) => t.resource === 'auth-mount' && t.exists)
  if (mount && state.logins === null) {
    out.push(
      `destroy could not count the logins through auth method ${mountPath} (LIST identity/entity-alias/id was refused): ` +
        'tokens it issued may still be in use, and disabling it revokes them.'
    )
  } else if (mount && state.logins) {
    out.push(
      `${state.logins} identit${state.logins === 1 ? 'y has' : 'ies have'} logged in through auth method ${mountPath} (entity aliases on ` +
        `accessor ${state.mount?.accessor}): disabling it revokes every token it issued, so workloads that hold one lose access to Vault.`
    )
  }
  const deleted = targets.filter((t) => t.resource === 'policy' && t.exists).map((t) => t.path.slice('sys/policies/acl/'.length))
  if (deleted.length > 0 && state.unchecked.length > 0) {
    out.push(
      `destroy could not list or read the roles on ${state.unchecked.map((m) => `auth/${m}`).join(', ')} (403), so it cannot tell ` +
        `whether a role there still names ${deleted.map((p) => `"${p}"`).join(', ')}. Grant the token list and read on those roles ` +
        '(docs/operations.md, section "`mode: destroy`"), or check by hand.'
    )
  }
  return out
}
