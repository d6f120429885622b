/**
 * The verdict of following one job: its value, which values fail the step, and the shapes the followers fill
 * (allocation summaries with their telling task events, per-group deployment health).
 *
 * Verdicts: healthy (deployment successful), complete (batch allocations complete), evaluated (wait=evaluation,
 * or no deployment to follow), registered (wait=none, periodic, parameterized, multiregion),
 * awaiting-promotion (canaries healthy, promotion is manual), planned (dry run, set by deploy.ts), unchanged (the plan
 * showed no difference, nothing registered, and the running version is good; set by unchanged.ts): these pass.
 * failed and timeout fail the step (see FAILING_VERDICTS), and so does unknown: contact with Nomad was lost
 * while following, so the outcome is not known (it never claims failed for a deployment that did not fail).
 */

export type VerdictValue =
  | 'healthy'
  | 'failed'
  | 'timeout'
  | 'registered'
  | 'evaluated'
  | 'complete'
  | 'awaiting-promotion'
  | 'planned'
  | 'unchanged'
  | 'unknown'

/** Verdicts that should fail the step. */
export const FAILING_VERDICTS: readonly VerdictValue[] = ['failed', 'timeout', 'unknown']

export function verdictFails(v: VerdictValue): boolean {
  return FAILING_VERDICTS.includes(v)
}

export interface TaskEventSummary {
  task: string
  type: string
  message: string
}

export interface AllocSummary {
  id: string
  name: string
  taskGroup: string
  clientStatus: string
  desiredStatus: string
  healthy?: boolean
  canary?: boolean
  events: TaskEventSummary[]
}

export interface GroupHealth {
  name: string
  desiredTotal: number
  placedAllocs: number
  healthyAllocs: number
  unhealthyAllocs: number
  desiredCanaries: number
  placedCanaries: number
  promoted: boolean
  autoPromote?: boolean
  autoRevert?: boolean
}

export interface Verdict {
  verdict: VerdictValue
  reason: string
  evalId: string
  deploymentId?: string
  deploymentStatus?: string
  deploymentDescription?: string
  allocations: AllocSummary[]
  groups: GroupHealth[]
  promoted?: boolean
  rollbackVersion?: number
  /** Explanations of Vault failures seen in task events. */
  diagnoses: string[]
}
