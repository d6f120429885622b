/**
 * mode: destroy. Removes what the action manages, in reverse order of creation: every declared role, their
 * policies, then the auth method (which takes its config with it). An object counts as managed when the action marked
 * it on creation: the mount's description (MOUNT_DESCRIPTION), the policy's first line (POLICY_MARKER); a JWT role
 * keeps no free-form field in Vault or OpenBao, so the role counts as managed when it lives on a managed mount.
 * Anything else is refused, before the first delete, unless `force: true`; an auth method of another type is never
 * removed.
 *
 * The deletes go through the reconcile's transaction (src/vault/transaction.ts): each is journalled with the object
 * as read before it is sent, and a run that fails puts back, in reverse order, what it deleted (a role or policy is
 * written back only while it is still gone). A disabled auth method cannot be put back (Vault drops its config and
 * roles with it); it is the last delete, so a run that fails there has deleted nothing else for good. Idempotent:
 * every run reads first and only deletes what still exists, so the next run finishes the job. With dry-run it only
 * reports what would go.
 */
import * as core from '@actions/core'
import type { Config, VaultSettings } from '../config.js'
import { ActionError, errorMessage } from '../errors.js'
import { setOutputs } from '../report/outputs.js'
import { capSummary } from '../report/summary-fit.js'
import { redact } from '../transport/index.js'
import { createVaultApi, type VaultApi } from '../vault/client.js'
import { desiredState, MOUNT_DESCRIPTION, POLICY_MARKER } from '../vault/desired.js'
import { roleList } from '../roles.js'
import type { Change } from '../vault/plan.js'
import type { RollbackEntry } from '../vault/restore.js'
import { VaultTransaction } from '../vault/transaction.js'
import type { ModeOptions } from '../inputs/modes.js'

export interface DestroyState {
  mount: { type: string; accessor: string; description: string } | null
  /** Every declared role by name: `data` of its GET, null when absent. */
  roles: Record<string, Record<string, unknown> | null>
  /** Every declared policy by name: its text, null when absent. */
  policies: Record<string, string | null>
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
}

const isManagedMount = (m: DestroyState['mount']) => !!m && m.type === 'jwt' && m.description.trim() === MOUNT_DESCRIPTION
const mountPathOf = (s: VaultSettings) => s.authPath.replace(/^\/+|\/+$/g, '')
const policyNames = (s: VaultSettings) => [...new Set(roleList(s).map((r) => r.policy))]

/** Pure: what destroy would remove, in order (the roles, their policies, the mount). */
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
  const roles: DestroyTarget[] = roleList(s).map((r) => {
    const data = state.roles[r.name] ?? null
    return {
      resource: 'role',
      path: `auth/${mountPath}/role/${r.name}`,
      exists: !!state.mount && data !== null,
      managed: mountManaged,
      reason: mountManaged ? 'it lives on the managed auth method' : `its auth method ${mountWhy}`,
      ...(data ? { before: data } : {})
    }
  })
  const policies: DestroyTarget[] = policyNames(s).map((name) => {
    const text = state.policies[name] ?? null
    const marked = text !== null && text.trimStart().startsWith(POLICY_MARKER)
    return {
      resource: 'policy',
      path: `sys/policies/acl/${name}`,
      exists: text !== null,
      managed: marked,
      reason: marked ? 'its first line is the nomad-vault-action marker' : 'its first line is not the nomad-vault-action marker',
      ...(text !== null ? { before: text } : {})
    }
  })
  const mount: DestroyTarget = {
    resource: 'auth-mount',
    path: `sys/auth/${mountPath}`,
    exists: !!state.mount,
    managed: mountManaged,
    reason: mountWhy
  }
  if (state.mount) mount.before = { ...state.mount }
  return [...roles, ...policies, mount]
}

export async function readDestroyState(api: VaultApi, s: VaultSettings): Promise<DestroyState> {
  const mountPath = mountPathOf(s)
  const names = policyNames(s)
  const [mounts, ...texts] = await Promise.all([api.read('sys/auth'), ...names.map((n) => api.read(`sys/policies/acl/${n}`))])
  const data = (mounts?.data && typeof mounts.data === 'object' ? mounts.data : (mounts ?? {})) as Record<
    string,
    { type?: string; accessor?: string; description?: string }
  >
  const m = data[`${mountPath}/`]
  const mount = m ? { type: String(m.type ?? ''), accessor: String(m.accessor ?? ''), description: String(m.description ?? '') } : null
  // Roles only exist under a JWT mount (another type would answer something else at that path).
  const declared = roleList(s)
  const roleRes = mount?.type === 'jwt' ? await Promise.all(declared.map((r) => api.read(`auth/${mountPath}/role/${r.name}`))) : []
  const roles: DestroyState['roles'] = {}
  declared.forEach((r, i) => {
    const d = roleRes[i]?.data
    roles[r.name] = d && typeof d === 'object' ? d : null
  })
  const policies: DestroyState['policies'] = {}
  names.forEach((n, i) => {
    const text = texts[i]?.data?.policy ?? texts[i]?.data?.rules
    policies[n] = typeof text === 'string' ? text : null
  })
  return { mount, roles, policies }
}

export interface DestroyResult {
  removed: DestroyTarget[]
  targets: DestroyTarget[]
  /** Set when the run failed after deleting: what the rollback did to each deleted object. */
  rollback?: RollbackEntry[]
}

export interface DestroyDeps {
  api?: VaultApi
  log?: (line: string) => void
}

export async function runDestroy(cfg: Config, opts: ModeOptions, deps: DestroyDeps = {}): Promise<DestroyResult> {
  const api = deps.api ?? createVaultApi(cfg.vault)
  const log = deps.log ?? ((l: string) => core.info(l))
  const s = cfg.settings
  const targets = planDestroy(await readDestroyState(api, s), s)
  const present = targets.filter((t) => t.exists)
  const never = present.filter((t) => t.resource === 'auth-mount' && !t.managed && !/^its description/.test(t.reason))
  if (never.length > 0) {
    throw new ActionError(`destroy: ${never[0].path} ${never[0].reason}. Check auth-path; nothing was removed.`)
  }
  const unmanaged = present.filter((t) => !t.managed)
  if (unmanaged.length > 0 && !opts.force) {
    throw new ActionError(
      `destroy refuses to remove what the action did not create: ${unmanaged.map((t) => `${t.resource} ${t.path} (${t.reason})`).join('; ')}. ` +
        'Nothing was removed. Check auth-path, role and policy; set force: true to remove them anyway.'
    )
  }
  const changes: Change[] = present.map((t) => ({ resource: t.resource, action: 'delete', path: t.path, diff: [] }))
  const removed: DestroyTarget[] = []
  let rollback: RollbackEntry[] | undefined
  try {
    if (present.length === 0) {
      log(`destroy: nothing to remove: ${targets.map((t) => t.path).join(', ')} do not exist.`)
    } else if (cfg.dryRun) {
      core.notice(`destroy (dry run) would remove, in this order: ${present.map((t) => `${t.resource} ${t.path}`).join(', ')}. Nothing was removed.`)
    } else {
      // The desired state names the objects for the transaction; the key source plays no part in a destroy.
      const tx = new VaultTransaction(api, desiredState(s, { staticKeys: ['(not read by destroy)'] }), log)
      try {
        for (const [i, t] of present.entries()) {
          if (!t.managed) core.warning(`destroy: removing ${t.resource} ${t.path} although ${t.reason} (force: true).`)
          await tx.remove(changes[i], t.before ?? {})
          removed.push(t)
          log(`destroy: removed ${t.resource} ${t.path}`)
        }
      } catch (err) {
        rollback = await tx.rollback()
        throw err
      }
    }
  } catch (err) {
    const kept = rollback?.filter((r) => r.outcome === 'kept') ?? []
    const after =
      !rollback || rollback.length === 0
        ? 'Nothing was removed.'
        : kept.length === 0
          ? `Everything it removed was put back (${rollback.length} object(s)).`
          : `Could not put back: ${kept.map((k) => `${k.path} (${k.reason})`).join('; ')}.`
    throw new ActionError(
      `destroy stopped at ${present[removed.length]?.path ?? 'a delete'}: ${errorMessage(err)} ${after} Re-run the step: destroy continues from what is left.`
    )
  } finally {
    // After a rollback, what stays removed is what could not be put back.
    const gone = rollback ? targets.filter((t) => rollback?.some((r) => r.path === t.path && r.outcome === 'kept')) : removed
    setOutputs({ changes: JSON.stringify(cfg.dryRun ? changes : changes.filter((c) => gone.some((r) => r.path === c.path))) })
    await summary(cfg, targets, gone)
  }
  return { removed, targets }
}

async function summary(cfg: Config, targets: DestroyTarget[], removed: DestroyTarget[]): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const lines = [
    `## Nomad workload identity: destroy${cfg.dryRun ? ' (dry run: nothing was removed)' : ''}`,
    '',
    '| Object | Path | Before | Now |',
    '|---|---|---|---|'
  ]
  for (const t of targets) {
    const now = !t.exists ? 'absent' : removed.includes(t) ? 'removed' : cfg.dryRun ? 'would be removed' : 'kept'
    lines.push(`| ${t.resource} | \`${t.path}\` | ${t.exists ? (t.managed ? 'managed' : 'not managed') : 'absent'} | ${now} |`)
  }
  try {
    await core.summary.addRaw(capSummary(redact(lines.join('\n') + '\n'))).write()
  } catch (e) {
    core.debug(`job summary not written: ${errorMessage(e)}`)
  }
}
