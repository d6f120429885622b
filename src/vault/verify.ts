/**
 * After the writes: read the objects back and compare them with the desired state. A difference means another
 * writer was at work (ConcurrentChangeError, nothing is rolled back); a failed read only gives a warning. Right
 * before a run reports success, confirmVault() checks once more that the auth method (same accessor) and every
 * declared role are still there: a destroy that ran meanwhile makes the run fail (VanishedError), never exit 0.
 */
import type { VaultSettings } from '../config.js'
import { ActionError } from '../errors.js'
import type { VaultApi } from './vault-client.js'
import { MOUNT_DESCRIPTION_DESTROYING, type DesiredState } from './desired.js'
import { planVault, type Change, type CurrentState } from './plan-vault.js'
import { dataOf, readMounts } from './read-back.js'

/** Another run or a person changed an object while this run was writing: nothing is rolled back. */
export class ConcurrentChangeError extends ActionError {
  constructor(changes: Change[]) {
    super(
      `Another run (or a person) changed ${changes.map((c) => c.path).join(', ')} while this run was writing to Vault: ` +
        `reading back, ${changes.flatMap((c) => c.diff.map((d) => `${d.field} is ${JSON.stringify(d.before)}, not ${JSON.stringify(d.after)}`)).join('; ')}. ` +
        "Nothing was rolled back, so as not to undo the other run's work. Re-run this workflow; to avoid the race, " +
        'let only one deploy at a time use this Vault auth path (a GitHub Actions `concurrency:` group).'
    )
    this.name = 'ConcurrentChangeError'
  }
}

/** Objects this run set up are gone (or the auth method was enabled again under a new accessor): another run removed them. */
export class VanishedError extends ActionError {
  constructor(gone: string[], authPath: string, when: string) {
    super(
      `Vault: ${gone.join('; ')} ${gone.length === 1 ? 'is' : 'are'} gone ${when}: this run set ${gone.length === 1 ? 'it' : 'them'} up, and ` +
        `another run removed ${gone.length === 1 ? 'it' : 'them'} (a mode: destroy of auth-path "${authPath}"?). Workloads cannot log in with ` +
        'what this run reported. Re-run this workflow to set it up again; let deploys and destroys of one auth path share a ' +
        'GitHub Actions `concurrency:` group so that they cannot overlap.'
    )
    this.name = 'VanishedError'
  }
}

/**
 * Reads the objects back after writing: they must be the desired state, or another writer was at work. Every write
 * succeeded, so a failed read-back only gives a warning (undoing good writes would not help anyone). `unchecked`:
 * resources that were still being written while they were read.
 */
export async function verifyEndState(
  read: Promise<CurrentState>,
  desired: DesiredState,
  log: (l: string) => void,
  unchecked: Change['resource'][] = []
): Promise<void> {
  let after: CurrentState
  try {
    after = await read
  } catch (e) {
    log(`Vault: every write succeeded, but reading them back to verify failed: ${(e as Error).message}`)
    return
  }
  const left = planVault(after, desired).filter((c) => !unchecked.includes(c.resource))
  // An object that is absent right after this run wrote it was removed by another run, not changed.
  const absent = left.filter((c) => c.action === 'create')
  // Without the auth method, what was under it is gone with it: name the method (and any policy).
  const gone = absent.some((c) => c.resource === 'auth-mount') ? absent.filter((c) => c.resource === 'auth-mount' || c.resource === 'policy') : absent
  if (gone.length > 0) throw new VanishedError(gone.map(vanished), desired.mount.path, 'right after this run wrote to Vault')
  if (left.length > 0) throw new ConcurrentChangeError(left)
}

const vanished = (c: Change) =>
  c.resource === 'auth-mount' ? `the auth method ${c.path}` : `${c.resource === 'auth-config' ? 'the config' : c.resource} ${c.path}`

/**
 * The last look before a run reports success: the auth method at auth-path with the accessor this run used (its
 * policies name that accessor) and every declared role. A read that fails is an error too: success is not reported
 * on what could not be checked.
 */
export async function confirmVault(api: VaultApi, settings: VaultSettings, accessor: string): Promise<void> {
  const path = settings.authPath.replace(/^\/+|\/+$/g, '')
  const mount = (await readMounts(api))[`${path}/`]
  const gone: string[] = []
  if (mount?.description?.trim() === MOUNT_DESCRIPTION_DESTROYING) {
    gone.push(`the auth method sys/auth/${path} (a mode: destroy is removing it: its description says so)`)
  } else if (!mount) gone.push(`the auth method sys/auth/${path}${accessor ? ` (accessor ${accessor})` : ''}`)
  else if (accessor && mount.accessor !== accessor) {
    gone.push(
      `the auth method sys/auth/${path} with accessor ${accessor} (it was enabled again, as ${mount.accessor}, which the policies do not name)`
    )
  } else {
    const names = settings.roles.map((r) => `auth/${path}/role/${r.name}`)
    const roles = await Promise.all(names.map((p) => api.read(p)))
    names.forEach((p, i) => {
      if (!dataOf(roles[i], api.addr, p)) gone.push(`role ${p}`)
    })
  }
  if (gone.length > 0) throw new VanishedError(gone, path, 'before this run could report success')
}
