/**
 * Pure planning: compares what Vault has (as read back) with what the action wants, field by field, and returns
 * the creates and updates to make (normalised as in normalise.ts), for the auth method, its config, and every
 * declared role and policy. Managed roles that are no longer declared (and their marked policies) are deleted only
 * with prune (planUndeclared lists them either way). No I/O here.
 */
import { ActionError } from '../errors.js'
import { MOUNT_DESCRIPTION, MOUNT_DESCRIPTION_DESTROYING, type DesiredState } from './desired.js'
import { equal, isEmpty, normalisePolicy, show, type Kind } from './normalise.js'

/** The auth method carries the description a running (or interrupted) `mode: destroy` gave it. */
export class BeingDestroyedError extends ActionError {
  constructor(path: string) {
    super(
      `auth-path "${path}": a mode: destroy is removing this auth method (its description says so: "${MOUNT_DESCRIPTION_DESTROYING}"). ` +
        'Nothing more was written to it. Wait for that run to finish, then re-run this one. If that destroy was killed before it ' +
        `could put the description back, re-run the destroy, or put it back by hand: vault auth tune -description="${MOUNT_DESCRIPTION}" ${path}`
    )
    this.name = 'BeingDestroyedError'
  }
}

export interface FieldChange {
  field: string
  before: unknown
  after: unknown
}

export interface Change {
  resource: 'auth-mount' | 'auth-config' | 'role' | 'policy'
  action: 'create' | 'update' | 'delete'
  path: string
  diff: FieldChange[]
}

export interface CurrentMount {
  type: string
  accessor: string
  /** The mount's description (MOUNT_DESCRIPTION when the action created it); absent when not read. */
  description?: string
}

/** Managed objects Vault has that no declared role accounts for (read only with the roles input or prune). */
export interface UndeclaredState {
  /** Roles on the managed auth method that are not declared: name → `data` of their GET. */
  roles: Record<string, Record<string, unknown>>
  /** Marked policies those roles use that no declared role uses: name → text. */
  policies: Record<string, string>
}

/** What Vault has now. `null` = does not exist (or, for a missing mount, could not be read). */
export interface CurrentState {
  mount: CurrentMount | null
  /** `data` of GET auth/<path>/config */
  authConfig: Record<string, unknown> | null
  /** Every declared role by name: `data` of GET auth/<path>/role/<role> (null: does not exist). */
  roles: Record<string, Record<string, unknown> | null>
  /** Every declared policy by name: `data.policy` of GET sys/policies/acl/<name> (null: does not exist). */
  policies: Record<string, string | null>
  undeclared?: UndeclaredState
}

/** What Vault has for the declared role `name` (null: does not exist). */
export function currentRole(current: CurrentState, name: string): Record<string, unknown> | null {
  return current.mount && Object.hasOwn(current.roles, name) ? current.roles[name] : null
}

/** What Vault has for the declared policy `name` (null: does not exist). */
export function currentPolicy(current: CurrentState, name: string): string | null {
  return Object.hasOwn(current.policies, name) ? current.policies[name] : null
}

export interface FieldSpec {
  field: string
  kind: Kind
}

/**
 * Auth config fields the action manages. A config write replaces the whole config, so the key-source fields the
 * action does not use (and bound_issuer) are managed too: they are desired empty and their removal is shown.
 */
export const CONFIG_FIELDS: FieldSpec[] = [
  { field: 'jwks_url', kind: 'string' },
  { field: 'jwks_ca_pem', kind: 'pem' },
  { field: 'oidc_discovery_url', kind: 'string' },
  { field: 'oidc_discovery_ca_pem', kind: 'pem' },
  { field: 'jwt_validation_pubkeys', kind: 'pemset' },
  { field: 'bound_issuer', kind: 'string' },
  { field: 'jwt_supported_algs', kind: 'set' },
  { field: 'default_role', kind: 'string' }
]

/** Role fields the action manages (a role write only changes the fields it sends; other fields are left alone). */
export const ROLE_FIELDS: FieldSpec[] = [
  { field: 'role_type', kind: 'string' },
  { field: 'bound_audiences', kind: 'set' },
  { field: 'user_claim', kind: 'string' },
  { field: 'user_claim_json_pointer', kind: 'bool' },
  { field: 'claim_mappings', kind: 'map' },
  { field: 'bound_claims', kind: 'claims' },
  { field: 'token_type', kind: 'string' },
  { field: 'token_period', kind: 'duration' },
  { field: 'token_explicit_max_ttl', kind: 'duration' },
  { field: 'token_policies', kind: 'set' }
]

export function planVault(current: CurrentState, desired: DesiredState): Change[] {
  const changes: Change[] = []
  const mount = current.mount
  if (mount && mount.type !== desired.mount.type) {
    throw new ActionError(
      `auth-path "${desired.mount.path}": Vault already has an auth method of type "${mount.type}" mounted at ` +
        `"${desired.mount.path}/" (accessor ${mount.accessor || 'unknown'}). The action only manages a JWT auth ` +
        'method there and never replaces or deletes another one. Choose another auth-path (e.g. "jwt-nomad"), or ' +
        'disable the existing method yourself if it is unused. Nothing was changed.'
    )
  }
  if (mount && mount.description?.trim() === MOUNT_DESCRIPTION_DESTROYING) throw new BeingDestroyedError(desired.mount.path)
  if (!mount) {
    changes.push({
      resource: 'auth-mount',
      action: 'create',
      path: desired.mountPath,
      diff: [
        { field: 'type', before: undefined, after: desired.mount.type },
        { field: 'description', before: undefined, after: desired.mount.description }
      ]
    })
  }
  // Without a mount nothing under it exists, whatever the reads returned.
  const config = mount ? current.authConfig : null

  const configChange = compareResource(
    'auth-config',
    desired.configPath,
    config,
    desired.authConfig as unknown as Record<string, unknown>,
    CONFIG_FIELDS
  )
  if (configChange) changes.push(configChange)

  for (const p of desired.policies) {
    const policyText = p.text(mount?.accessor ?? '')
    const have = currentPolicy(current, p.name)
    if (have === null || have === undefined) {
      changes.push({ resource: 'policy', action: 'create', path: p.path, diff: [{ field: 'policy', before: undefined, after: policyText }] })
    } else if (normalisePolicy(have) !== normalisePolicy(policyText)) {
      changes.push({ resource: 'policy', action: 'update', path: p.path, diff: [{ field: 'policy', before: have, after: policyText }] })
    }
  }

  for (const r of desired.roles) {
    const roleChange = compareResource('role', r.path, currentRole(current, r.name), r.role as unknown as Record<string, unknown>, ROLE_FIELDS)
    if (roleChange) changes.push(roleChange)
  }
  if (desired.prune) changes.push(...planUndeclared(current, desired))
  return changes
}

/**
 * Managed objects that are no longer declared, as deletes: roles first, then the marked policies only they used.
 * planVault includes them only with prune; without it they are reported and kept.
 */
export function planUndeclared(current: CurrentState, desired: DesiredState): Change[] {
  const u = current.undeclared
  if (!u || !current.mount) return []
  const out: Change[] = []
  for (const [name, data] of Object.entries(u.roles)) {
    out.push({
      resource: 'role',
      action: 'delete',
      path: `auth/${desired.mount.path}/role/${name}`,
      diff: [
        { field: 'bound_claims', before: show('claims', data.bound_claims), after: undefined },
        { field: 'token_policies', before: show('set', data.token_policies), after: undefined }
      ]
    })
  }
  for (const [name, text] of Object.entries(u.policies)) {
    out.push({ resource: 'policy', action: 'delete', path: `sys/policies/acl/${name}`, diff: [{ field: 'policy', before: text, after: undefined }] })
  }
  return out
}

function compareResource(
  resource: Change['resource'],
  path: string,
  current: Record<string, unknown> | null,
  desired: Record<string, unknown>,
  fields: FieldSpec[]
): Change | null {
  const diff: FieldChange[] = []
  for (const { field, kind } of fields) {
    const want = desired[field]
    if (current === null) {
      if (!isEmpty(want)) diff.push({ field, before: undefined, after: show(kind, want) })
      continue
    }
    const have = current[field]
    if (!equal(kind, have, want)) diff.push({ field, before: show(kind, have), after: show(kind, want) })
  }
  if (current === null) return { resource, action: 'create', path, diff }
  return diff.length > 0 ? { resource, action: 'update', path, diff } : null
}

/**
 * The order to write the planned changes in, chosen so that no working workload is worse off mid-run:
 * - the mount first (nothing can use it yet), then the auth config (the write Vault most often refuses, as it
 *   checks the key source; nothing else has been touched when it does);
 * - a policy no current role uses yet (first run, or a new policy name) before the roles, so that a role switches
 *   to a policy that is ready;
 * - a policy a current role already uses (it is live) after the roles, so that a role write Vault refuses leaves
 *   the live policy untouched;
 * - deletes (prune) last: the undeclared roles, then their policies (no role uses them any more).
 */
export function writeOrder(changes: Change[], current: CurrentState): Change[] {
  const liveRoles = current.mount ? [...Object.values(current.roles), ...Object.values(current.undeclared?.roles ?? {})] : []
  const live = new Set(liveRoles.flatMap((r) => (Array.isArray(r?.token_policies) ? r.token_policies.map(String) : [])))
  const rank = (c: Change): number => {
    if (c.action === 'delete') return c.resource === 'role' ? 5 : 6
    if (c.resource === 'auth-mount') return 0
    if (c.resource === 'auth-config') return 1
    if (c.resource === 'policy') return live.has(c.path.slice('sys/policies/acl/'.length)) ? 4 : 2
    return 3 // role
  }
  return [...changes].sort((a, b) => rank(a) - rank(b))
}
