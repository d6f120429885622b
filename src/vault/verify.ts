/**
 * After the writes: read the objects back and compare them with the desired state. A difference means another
 * writer was at work (ConcurrentChangeError, nothing is rolled back); a failed read only gives a warning.
 */
import { ActionError } from '../errors.js'
import type { DesiredState } from './desired.js'
import { planVault, type Change, type CurrentState } from './plan.js'

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
  if (left.length > 0) throw new ConcurrentChangeError(left)
}
