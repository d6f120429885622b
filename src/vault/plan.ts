/**
 * Pure planning: compares what Vault has (as read back) with what the action wants, field by field, and returns
 * the creates and updates to make (normalised as in normalise.ts). Nothing is ever deleted. No I/O here.
 */
import { ActionError } from '../errors.js'
import type { DesiredState } from './desired.js'
import { equal, isEmpty, normalisePolicy, show, type Kind } from './normalise.js'

export interface FieldChange {
  field: string
  before: unknown
  after: unknown
}

export interface Change {
  resource: 'auth-mount' | 'auth-config' | 'role' | 'policy'
  action: 'create' | 'update'
  path: string
  diff: FieldChange[]
}

export interface CurrentMount {
  type: string
  accessor: string
}

/** What Vault has now. `null` = does not exist (or, for a missing mount, could not be read). */
export interface CurrentState {
  mount: CurrentMount | null
  /** `data` of GET auth/<path>/config */
  authConfig: Record<string, unknown> | null
  /** `data` of GET auth/<path>/role/<role> */
  role: Record<string, unknown> | null
  /** `data.policy` of GET sys/policies/acl/<name> */
  policy: string | null
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
  const role = mount ? current.role : null

  const configChange = compareResource(
    'auth-config',
    desired.configPath,
    config,
    desired.authConfig as unknown as Record<string, unknown>,
    CONFIG_FIELDS
  )
  if (configChange) changes.push(configChange)

  const policyText = desired.policy.text(mount?.accessor ?? '')
  if (current.policy === null || current.policy === undefined) {
    changes.push({
      resource: 'policy',
      action: 'create',
      path: desired.policyPath,
      diff: [{ field: 'policy', before: undefined, after: policyText }]
    })
  } else if (normalisePolicy(current.policy) !== normalisePolicy(policyText)) {
    changes.push({
      resource: 'policy',
      action: 'update',
      path: desired.policyPath,
      diff: [{ field: 'policy', before: current.policy, after: policyText }]
    })
  }

  const roleChange = compareResource('role', desired.rolePath, role, desired.role as unknown as Record<string, unknown>, ROLE_FIELDS)
  if (roleChange) changes.push(roleChange)
  return changes
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
 * - a policy the current role does not use yet (first run, or a new policy name) before the role, so that the
 *   role switches to a policy that is ready;
 * - a policy the current role already uses (it is live) after the role, so that a role write Vault refuses leaves
 *   the live policy untouched.
 */
export function writeOrder(changes: Change[], current: CurrentState, policyName: string): Change[] {
  const rank = (c: Change): number => {
    if (c.resource === 'auth-mount') return 0
    if (c.resource === 'auth-config') return 1
    const policies = current.mount ? current.role?.token_policies : undefined
    const live = Array.isArray(policies) && policies.map(String).includes(policyName)
    if (c.resource === 'policy') return live ? 4 : 2
    return 3 // role
  }
  return [...changes].sort((a, b) => rank(a) - rank(b))
}
