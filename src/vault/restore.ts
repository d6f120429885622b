/**
 * What putting a written Vault object back means: the journal entry of a write, the outcome of undoing it, the
 * bodies that restore a config or a role as it was read, and the vault CLI command that does it by hand.
 */
import { InternalError } from '../errors.js'
import { roleWriteBody, type DesiredRole, type DesiredRoleEntry, type DesiredState } from './desired.js'
import { isEmpty } from './normalise.js'
import { ROLE_FIELDS, type Change } from './plan-vault.js'

export type RollbackOutcome = 'restored' | 'deleted' | 'disabled' | 'kept'

/** What happened to one written object when the run failed. */
export interface RollbackEntry {
  resource: Change['resource']
  path: string
  outcome: RollbackOutcome
  /** Why it was kept (outcome 'kept'). */
  reason?: string
  /** The command that puts it back by hand (outcome 'kept'). */
  fix?: string
}

export interface JournalEntry {
  change: Change
  /** The value read before the write: the data of config/role, the policy text; null when it did not exist. */
  before: Record<string, unknown> | string | null
  /** The policy text written (policies only). */
  written?: string
}

/** The declared role written at `path`. */
export function roleAt(desired: DesiredState, path: string): DesiredRoleEntry {
  const entry = desired.roles.find((r) => r.path === path)
  if (!entry) throw new InternalError(`${path} is not a declared role.`)
  return entry
}

/** The vault CLI command that puts an object back to its value before the run. */
export function fixFor(entry: JournalEntry, d: DesiredState): string {
  const { change, before } = entry
  const policyName = change.path.slice('sys/policies/acl/'.length)
  if (change.resource === 'auth-mount' && change.action === 'delete') return 're-run with mode: destroy to finish, or mode: setup to set it up again'
  if (change.resource === 'auth-mount') return `vault auth disable ${d.mount.path}`
  if (before === null) {
    if (change.resource === 'auth-config') return `vault auth disable ${d.mount.path}   # only if nothing uses this auth method`
    return change.resource === 'policy' ? `vault policy delete ${policyName}` : `vault delete ${change.path}`
  }
  if (change.resource === 'policy') return `vault policy write ${policyName} - <<'EOF'\n${String(before).trimEnd()}\nEOF`
  const body =
    change.resource === 'auth-config' || change.action === 'delete'
      ? configRestoreBody(before as Record<string, unknown>)
      : roleRestoreBody(before as Record<string, unknown>, roleAt(d, change.path).role)
  return `vault write ${change.path} - <<'EOF'\n${JSON.stringify(body)}\nEOF`
}

/** A config write replaces the whole config: send back every non-empty field that was read. */
export function configRestoreBody(before: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(before)) if (!isEmpty(v)) out[k] = v
  return out
}

/** A role write changes only the fields sent: send back the managed fields as they were (empty ones cleared). */
export function roleRestoreBody(before: Record<string, unknown>, role: DesiredRole): Record<string, unknown> {
  const written = roleWriteBody(role)
  const out: Record<string, unknown> = {}
  for (const { field, kind } of ROLE_FIELDS) {
    if (!(field in written)) continue
    const v = before[field]
    out[field] = isEmpty(v)
      ? kind === 'map' || kind === 'claims'
        ? {}
        : kind === 'set'
          ? []
          : kind === 'bool'
            ? false
            : kind === 'duration'
              ? 0
              : ''
      : v
  }
  return out
}
