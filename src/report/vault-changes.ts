/**
 * The `changes` output of a run: the Vault changes it planned or wrote, and after a failed or cancelled run what the
 * rollback did to each. The text form of one change (for logs) is src/vault/change-text.ts.
 */
import type { Change } from '../vault/plan-vault.js'
import type { RollbackEntry, RollbackOutcome } from '../vault/restore.js'

/** One written change in the `changes` output of a failed run, with what the rollback did to it. */
export type ChangeWithRollback = Change & { rollback?: RollbackOutcome; reason?: string; fix?: string }

/**
 * The `changes` output: what was written. After a failed or cancelled run each written change also says what the
 * rollback did (restored, deleted, disabled, or kept with the reason and the command that fixes it).
 */
export function changesOutput(r: { changes: Change[]; rollback?: RollbackEntry[] }): ChangeWithRollback[] {
  if (!r.rollback) return r.changes
  return r.changes.map((c) => {
    const rb = r.rollback?.find((e) => e.path === c.path)
    return rb ? { ...c, rollback: rb.outcome, ...(rb.reason ? { reason: rb.reason } : {}), ...(rb.fix ? { fix: rb.fix } : {}) } : c
  })
}
