/**
 * mode: destroy. Removes what the action manages, in reverse order of creation: role, policy, auth method (which
 * takes its config with it). An object counts as managed when the action marked it on creation: the mount's
 * description (MOUNT_DESCRIPTION), the policy's first line (POLICY_MARKER); a JWT role keeps no free-form field in
 * Vault or OpenBao, so the role counts as managed when it lives on a managed mount. Anything else is refused, before
 * the first delete, unless `force: true`; an auth method of another type is never removed.
 * Idempotent: every run reads first and only deletes what still exists, so a run that failed half-way (a network
 * fault, a cancelled job) is finished by the next one. With dry-run it only reports what would go.
 */
import * as core from '@actions/core'
import type { Config, VaultSettings } from '../config.js'
import { ActionError, errorMessage } from '../errors.js'
import { setOutputs } from '../report/outputs.js'
import { redact } from '../transport/index.js'
import { createVaultApi, type VaultApi } from '../vault/client.js'
import { MOUNT_DESCRIPTION, POLICY_MARKER } from '../vault/desired.js'
import type { ModeOptions } from './options.js'

export interface DestroyState {
  mount: { type: string; accessor: string; description: string } | null
  role: Record<string, unknown> | null
  policy: string | null
}

export interface DestroyTarget {
  resource: 'role' | 'policy' | 'auth-mount'
  path: string
  exists: boolean
  managed: boolean
  /** Why it is (not) considered managed, for messages. */
  reason: string
}

const isManagedMount = (m: DestroyState['mount']) => !!m && m.type === 'jwt' && m.description.trim() === MOUNT_DESCRIPTION

/** Pure: what destroy would remove, in order (role, policy, mount). */
export function planDestroy(state: DestroyState, s: VaultSettings): DestroyTarget[] {
  const mountPath = s.authPath.replace(/^\/+|\/+$/g, '')
  const mountManaged = isManagedMount(state.mount)
  const mountWhy = !state.mount
    ? 'does not exist'
    : state.mount.type !== 'jwt'
      ? `is an auth method of type "${state.mount.type}", which the action never removes`
      : mountManaged
        ? 'its description says it is managed by nomad-vault-action'
        : `its description "${state.mount.description}" does not say it is managed by nomad-vault-action`
  return [
    {
      resource: 'role',
      path: `auth/${mountPath}/role/${s.role}`,
      exists: !!state.mount && state.role !== null,
      managed: mountManaged,
      reason: mountManaged ? 'it lives on the managed auth method' : `its auth method ${mountWhy}`
    },
    {
      resource: 'policy',
      path: `sys/policies/acl/${s.policy}`,
      exists: state.policy !== null,
      managed: state.policy !== null && state.policy.trimStart().startsWith(POLICY_MARKER),
      reason: state.policy?.trimStart().startsWith(POLICY_MARKER)
        ? 'its first line is the nomad-vault-action marker'
        : 'its first line is not the nomad-vault-action marker'
    },
    { resource: 'auth-mount', path: `sys/auth/${mountPath}`, exists: !!state.mount, managed: mountManaged, reason: mountWhy }
  ]
}

export async function readDestroyState(api: VaultApi, s: VaultSettings): Promise<DestroyState> {
  const mountPath = s.authPath.replace(/^\/+|\/+$/g, '')
  const [mounts, policy] = await Promise.all([api.read('sys/auth'), api.read(`sys/policies/acl/${s.policy}`)])
  const data = (mounts?.data && typeof mounts.data === 'object' ? mounts.data : (mounts ?? {})) as Record<
    string,
    { type?: string; accessor?: string; description?: string }
  >
  const m = data[`${mountPath}/`]
  const mount = m ? { type: String(m.type ?? ''), accessor: String(m.accessor ?? ''), description: String(m.description ?? '') } : null
  // The role only exists under a JWT mount (another type would answer something else at that path).
  const role = mount?.type === 'jwt' ? await api.read(`auth/${mountPath}/role/${s.role}`) : null
  const text = policy?.data?.policy ?? policy?.data?.rules
  return { mount, role: role?.data && typeof role.data === 'object' ? role.data : null, policy: typeof text === 'string' ? text : null }
}

export interface DestroyResult {
  removed: DestroyTarget[]
  targets: DestroyTarget[]
}

export async function runDestroy(cfg: Config, opts: ModeOptions, deps: { api?: VaultApi } = {}): Promise<DestroyResult> {
  const api = deps.api ?? createVaultApi(cfg.vault)
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
  const changes = present.map((t) => ({ resource: t.resource, action: 'delete', path: t.path, diff: [] }))
  const removed: DestroyTarget[] = []
  try {
    if (present.length === 0) {
      core.info(`destroy: nothing to remove: ${targets.map((t) => t.path).join(', ')} do not exist.`)
    } else if (cfg.dryRun) {
      core.notice(`destroy (dry run) would remove, in this order: ${present.map((t) => `${t.resource} ${t.path}`).join(', ')}. Nothing was removed.`)
    } else {
      for (const t of present) {
        if (!t.managed) core.warning(`destroy: removing ${t.resource} ${t.path} although ${t.reason} (force: true).`)
        await api.remove(t.path)
        removed.push(t)
        core.info(`destroy: removed ${t.resource} ${t.path}`)
      }
    }
  } catch (err) {
    // Re-running finishes the job: every run re-reads and only deletes what is still there.
    throw new ActionError(
      `destroy stopped after removing ${removed.length} of ${present.length} object(s) (${removed.map((t) => t.path).join(', ') || 'none'}): ${errorMessage(err)} ` +
        'Re-run the step: destroy continues from what is left.'
    )
  } finally {
    setOutputs({ changes: JSON.stringify(cfg.dryRun ? changes : changes.filter((c) => removed.some((r) => r.path === c.path))) })
    await summary(cfg, targets, removed)
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
    await core.summary.addRaw(redact(lines.join('\n') + '\n')).write()
  } catch (e) {
    core.debug(`job summary not written: ${errorMessage(e)}`)
  }
}
