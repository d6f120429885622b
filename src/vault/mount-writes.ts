/**
 * Writing the JWT auth mount: enable it (telling a mount this run created from one another run made first), read
 * its accessor back, and the writes under a mount this run has just created (two rounds, then the read-back).
 */
import type { VaultSettings } from '../config.js'
import { CancelledError } from '../cancel.js'
import { ActionError } from '../errors.js'
import { logChange } from './change-text.js'
import type { VaultApi } from './vault-client.js'
import type { DesiredState } from './desired.js'
import { MountInUseError } from './vault-errors.js'
import { planVault, writeOrder, type CurrentMount, type CurrentState } from './plan-vault.js'
import { readCurrentState } from './read-state.js'
import { readMounts } from './read-back.js'
import type { VaultTransaction } from './transaction.js'
import { verifyEndState } from './verify.js'

interface FreshMount {
  api: VaultApi
  tx: VaultTransaction
  settings: VaultSettings
  desired: DesiredState
  current: CurrentState
  log: (l: string) => void
  signal?: AbortSignal
}

/**
 * The writes under a mount this run's own POST has just created. Nothing can use the mount yet (no role, no config
 * until now), so these writes need no order among themselves; only the policy waits for the accessor it names.
 * Round 3: the accessor read, the config and the role at once. Round 4: the policy. Round 5: everything is read
 * back, the policy included (a policy another writer changed, or an answer that is not Vault's, is found there).
 * Every request of a round settles before a failure is thrown, so the journal holds every write that succeeded when
 * the rollback starts.
 */
export async function writeFreshMount({ api, tx, settings, desired, current, log, signal }: FreshMount): Promise<void> {
  const unmounted: CurrentState = { ...current, mount: { type: desired.mount.type, accessor: '' } }
  const first = writeOrder(planVault(unmounted, desired), unmounted).filter((c) => c.resource !== 'auth-mount' && c.resource !== 'policy')
  if (signal?.aborted) throw new CancelledError('while it was writing to Vault')
  for (const change of first) logChange(log, change)
  const [mount] = await settled([mountAfterEnable(api, desired), tx.writeRound(first, unmounted)])
  tx.accessor = mount.accessor
  const state: CurrentState = { ...current, mount }
  const policies = planVault(state, desired).filter((c) => c.resource === 'policy')
  if (signal?.aborted) throw new CancelledError('while it was writing to Vault')
  for (const change of policies) logChange(log, change)
  await tx.writeRound(policies, state)
  // A cancel that arrived during the last round: what was written is put back, as for one between rounds.
  if (signal?.aborted) throw new CancelledError('while it was writing to Vault')
  await verifyEndState(readCurrentState(api, settings), desired, log)
}

/** Awaits both requests of one round; then throws the first failure, or returns the values. */
async function settled<A, B>(round: [Promise<A>, Promise<B>]): Promise<[A, B]> {
  const [a, b] = await Promise.allSettled(round)
  if (a.status === 'rejected') throw a.reason
  if (b.status === 'rejected') throw b.reason
  return [a.value, b.value]
}

/**
 * Enables the JWT auth method. "path is already in use" means another run (or a person) mounted it after our
 * read: then it is not ours (never disabled by a rollback), and the run goes on as an update.
 */
export async function enableMount(api: VaultApi, desired: DesiredState): Promise<'created' | 'ambiguous' | 'foreign'> {
  const { type, description } = desired.mount
  try {
    await api.write(desired.mountPath, { type, description })
    return 'created'
  } catch (err) {
    if (!(err instanceof MountInUseError)) throw err
    return err.afterAmbiguousAttempt ? 'ambiguous' : 'foreign'
  }
}

/** The mount as GET sys/auth lists it after enabling it (its accessor), checked to be a JWT auth method. */
export async function mountAfterEnable(api: VaultApi, desired: DesiredState): Promise<CurrentMount> {
  const { path, type } = desired.mount
  const mount = (await readMounts(api))[`${path}/`]
  if (!mount || !mount.accessor) {
    throw new ActionError(
      `Vault accepted enabling the JWT auth method at auth-path "${path}", but GET /v1/sys/auth does not list it. ` +
        'Check that the Vault namespace (vault-namespace) is right and re-run.'
    )
  }
  if (mount.type !== type) {
    throw new ActionError(`auth-path "${path}": an auth method of type "${mount.type}" was mounted there concurrently. Choose another auth-path.`)
  }
  return mount
}
