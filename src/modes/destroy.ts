/**
 * mode: destroy. Removes what the action manages, in reverse order of creation: every declared role, their
 * policies, then the auth method (which takes its config with it). An object counts as managed when the action marked
 * it on creation: the mount's description (MOUNT_DESCRIPTION), the policy's first line (POLICY_MARKER); a JWT role
 * keeps no free-form field in Vault or OpenBao, so the role counts as managed when it lives on a managed mount.
 * Refused before the first delete, unless `force: true` (then with a warning each): anything unmarked; an auth method
 * that holds roles this run does not remove (LIST auth/<path>/role: disabling it would delete them); a policy that a
 * role this run does not remove still names, on any auth method the token can list (vault/destroy-read.ts). An auth
 * method of another type is never removed. Logins through the auth method (entity aliases), and auth methods whose
 * roles could not be checked, are warnings; with fail-on-warning they refuse too.
 *
 * A destroy and a deploy on one auth path never both succeed: before its first delete the destroy marks the auth
 * method (MOUNT_DESCRIPTION_DESTROYING, put back when it stops), which a deploy checks when it reads, reads back and
 * right before it reports success; and right before disabling it the destroy lists its roles again, so a role a
 * deploy wrote before it could see the mark stops the destroy (which puts back what it removed).
 *
 * The deletes go through the reconcile's transaction (src/vault/transaction.ts): each is journalled with the object
 * as read before it is sent, and a run that fails puts back, in reverse order, what it deleted (a role or policy is
 * written back only while it is still gone). A disabled auth method cannot be put back (Vault drops its config and
 * roles with it); it is the last delete, so a run that fails there has deleted nothing else for good. Idempotent:
 * every run reads first and only deletes what still exists, so the next run finishes the job. With dry-run it only
 * reports what would go.
 */
import * as core from '@actions/core'
import type { Config } from '../config.js'
import { ActionError, errorMessage } from '../errors.js'
import { setOutputs } from '../report/outputs.js'
import { capSummary } from '../report/summary-fit.js'
import { redact } from '../transport/index.js'
import { createVaultApi, type VaultApi } from '../vault/vault-client.js'
import { desiredState, MOUNT_DESCRIPTION, MOUNT_DESCRIPTION_DESTROYING } from '../vault/desired.js'
import { destroyWarnings, mountPathOf, planDestroy, refusal, type DestroyTarget } from '../vault/destroy-plan.js'
import { readDestroyState } from '../vault/destroy-read.js'
import type { Change } from '../vault/plan-vault.js'
import type { RollbackEntry } from '../vault/restore.js'
import { VaultTransaction } from '../vault/transaction.js'
import type { ModeOptions } from '../inputs/mode-options.js'

export type { DestroyState, DestroyTarget } from '../vault/destroy-plan.js'
export { planDestroy } from '../vault/destroy-plan.js'
export { readDestroyState } from '../vault/destroy-read.js'

/** One line of the `changes` output of a destroy: what the object is, why it goes, or why it is refused. */
export type DestroyChange = Change & { why: string; refused?: string; withMount?: true }

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
  const state = await readDestroyState(api, s)
  const targets = planDestroy(state, s)
  const present = targets.filter((t) => t.exists)
  const never = present.filter((t) => t.resource === 'auth-mount' && t.reason.startsWith('is an auth method of type'))
  if (never.length > 0) {
    throw new ActionError(`destroy: ${never[0].path} ${never[0].reason}. Check auth-path; nothing was removed.`)
  }
  const refused = present.filter((t) => refusal(t) !== undefined)
  const warnings = destroyWarnings(state, targets, mountPathOf(s))
  const changes: DestroyChange[] = present.map((t) => ({
    resource: t.resource,
    action: 'delete',
    path: t.path,
    diff: [],
    why: t.withMount ? `goes with the auth method: ${t.reason}` : t.reason,
    ...(t.withMount ? { withMount: true as const } : {}),
    ...(!opts.force && refusal(t) ? { refused: refusal(t) } : {})
  }))
  const deletes = present.filter((t) => !t.withMount)
  const removed: DestroyTarget[] = []
  let rollback: RollbackEntry[] | undefined
  let stopped: unknown
  let unmarked = ''
  try {
    if (refused.length > 0 && !opts.force) {
      throw new ActionError(
        `destroy refuses to remove what the action did not create or what is still in use: ${refused
          .filter((t) => !t.withMount)
          .map((t) => `${t.resource} ${t.path} (${refusal(t)})`)
          .join('; ')}. Nothing was removed. Check auth-path, role, roles and policy; remove or declare what still uses ` +
          'them; or set force: true to remove them anyway.'
      )
    }
    if (warnings.length > 0 && opts.failOnWarning) {
      throw new ActionError(`destroy refuses with fail-on-warning: true: ${warnings.join(' ')} Nothing was removed.`)
    }
    for (const w of warnings) core.warning(w)
    if (present.length === 0) {
      log(`destroy: nothing to remove: ${targets.map((t) => t.path).join(', ')} do not exist.`)
    } else if (cfg.dryRun) {
      core.notice(
        `destroy (dry run) would remove, in this order: ${present.map((t) => `${t.resource} ${t.path}${t.withMount ? ' (with the auth method)' : ''}`).join(', ')}. Nothing was removed.`
      )
    } else {
      // The desired state names the objects for the transaction; the key source plays no part in a destroy.
      const tx = new VaultTransaction(api, desiredState(s, { staticKeys: ['(not read by destroy)'] }), log)
      const mount = deletes.find((t) => t.resource === 'auth-mount')
      const tune = `sys/auth/${mountPathOf(s)}/tune`
      try {
        // Marked first: a deploy that meets the mark stops (vault/plan-vault.ts BeingDestroyedError, vault/verify.ts).
        if (mount) await api.write(tune, { description: MOUNT_DESCRIPTION_DESTROYING })
        for (const t of deletes) {
          if (t.resource === 'auth-mount') await noNewRoles(api, s, state.mountRoles, opts.force)
          const why = refusal(t)
          if (why) core.warning(`destroy: removing ${t.resource} ${t.path} although ${why} (force: true).`)
          await tx.remove(changes[present.indexOf(t)], t.before ?? {})
          removed.push(t)
          log(`destroy: removed ${t.resource} ${t.path}`)
        }
      } catch (err) {
        stopped = err
        rollback = await tx.rollback()
        if (mount && !removed.includes(mount)) unmarked = await unmark(api, tune, String((mount.before as { description?: string }).description))
        throw err
      }
    }
  } catch (err) {
    if (!stopped) throw err
    const kept = rollback?.filter((r) => r.outcome === 'kept') ?? []
    const after =
      !rollback || rollback.length === 0
        ? 'Nothing was removed.'
        : kept.length === 0
          ? `Everything it removed was put back (${rollback.length} object(s)).`
          : `Could not put back: ${kept.map((k) => `${k.path} (${k.reason})`).join('; ')}.`
    throw new ActionError(
      `destroy stopped at ${deletes[removed.length]?.path ?? 'a delete'}: ${errorMessage(err)} ${after}${unmarked} Re-run the step: destroy continues from what is left.`
    )
  } finally {
    // After a rollback, what stays removed is what could not be put back; the roles on the mount went with it.
    const gone = rollback ? targets.filter((t) => rollback?.some((r) => r.path === t.path && r.outcome === 'kept')) : removed
    const mountGone = gone.some((t) => t.resource === 'auth-mount')
    const out = cfg.dryRun ? changes : changes.filter((c) => gone.some((r) => r.path === c.path) || (c.withMount && mountGone))
    setOutputs({ changes: JSON.stringify(out) })
    await summary(cfg, targets, gone, mountGone)
  }
  return { removed, targets }
}

/** Puts the auth method's description back after a destroy that stopped; '' when done, else what to do by hand. */
async function unmark(api: VaultApi, tune: string, description: string): Promise<string> {
  const back = description === MOUNT_DESCRIPTION_DESTROYING ? MOUNT_DESCRIPTION : description
  try {
    await api.write(tune, { description: back })
    return ''
  } catch (e) {
    return ` Its description still says a destroy is removing it (${errorMessage(e)}), which stops every deploy: re-run the destroy, or vault auth tune -description="${back}" ${tune.slice('sys/auth/'.length, -'/tune'.length)}.`
  }
}

/**
 * Right before the auth method is disabled: its roles again. A role that was not there when this run read them was
 * added meanwhile (a deploy on the same auth path): disabling the method would undo that run's work after it reported
 * success. Without force, the destroy stops there (and puts back what it removed).
 */
async function noNewRoles(api: VaultApi, s: Config['settings'], seen: string[], force: boolean): Promise<void> {
  const known = new Set([...seen, ...s.roles.map((r) => r.name)])
  const added = (await api.list(`auth/${mountPathOf(s)}/role`)).filter((n) => !known.has(n))
  if (added.length === 0) return
  const paths = added.map((n) => `auth/${mountPathOf(s)}/role/${n}`).join(', ')
  if (force) {
    core.warning(`destroy: ${paths} appeared on the auth method while this destroy ran; removing it with the auth method (force: true).`)
    return
  }
  throw new ActionError(
    `${paths} appeared on the auth method while this destroy ran (another run, a deploy?, added ${added.length === 1 ? 'it' : 'them'}), ` +
      'so it was not disabled.'
  )
}

async function summary(cfg: Config, targets: DestroyTarget[], removed: DestroyTarget[], mountGone: boolean): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  const lines = [
    `## Nomad workload identity: destroy${cfg.dryRun ? ' (dry run: nothing was removed)' : ''}`,
    '',
    '| Object | Path | Before | Now |',
    '|---|---|---|---|'
  ]
  for (const t of targets) {
    const before = !t.exists ? 'absent' : t.withMount ? 'not declared: goes with the auth method' : t.managed ? 'managed' : 'not managed'
    const gone = removed.includes(t) || (t.withMount && mountGone)
    const why = refusal(t)
    const now = !t.exists ? 'absent' : gone ? 'removed' : cfg.dryRun ? (why ? `refused: ${why}` : 'would be removed') : 'kept'
    lines.push(`| ${t.resource} | \`${t.path}\` | ${before} | ${now} |`)
  }
  try {
    await core.summary.addRaw(capSummary(redact(lines.join('\n') + '\n'))).write()
  } catch (e) {
    core.debug(`job summary not written: ${errorMessage(e)}`)
  }
}
