/**
 * The Nomad test double's evaluations: creating one (its processing is the scheduler's, handed over through
 * `State.workers` as Nomad's eval broker hands evaluations to a worker), blocked evaluations and their unblocking.
 */
import { randomUUID } from 'node:crypto'
import type { Evaluation, Job } from './model.js'
import { nowNs, type State } from './state.js'

export function createEval(
  s: State,
  ns: string,
  job: Job,
  triggeredBy: string,
  previousJob: Job | undefined,
  extra: Partial<Evaluation> = {},
  work?: (ev: Evaluation) => void,
  delayMs?: number
): Evaluation {
  const idx = s.bump('evals')
  const ev: Evaluation = {
    ID: randomUUID(),
    Namespace: ns,
    Priority: job.Priority ?? 50,
    Type: job.Type,
    TriggeredBy: triggeredBy,
    JobID: job.ID,
    JobModifyIndex: job.JobModifyIndex,
    NodeID: '',
    DeploymentID: '',
    Status: 'pending',
    StatusDescription: '',
    Wait: 0,
    WaitUntil: '0001-01-01T00:00:00Z',
    NextEval: '',
    PreviousEval: '',
    BlockedEval: '',
    FailedTGAllocs: null,
    ClassEligibility: null,
    QueuedAllocations: null,
    SnapshotIndex: 0,
    CreateIndex: idx,
    ModifyIndex: idx,
    CreateTime: nowNs(),
    ModifyTime: nowNs(),
    ...extra
  }
  s.evals.set(ev.ID, ev)
  const prevSnapshot = previousJob ? structuredClone(previousJob) : undefined
  s.later(delayMs ?? s.evalDelayMs, () => {
    if (!work) return s.workers.processEval(s, ev.ID, prevSnapshot)
    if (ev.Status !== 'pending') return
    work(ev)
    const idx = s.bump('evals')
    ev.Status = 'complete'
    ev.ModifyIndex = idx
    ev.ModifyTime = nowNs()
    cancelBlockedEvals(s, ev)
  })
  return ev
}

/**
 * Nomad keeps at most one blocked evaluation per job. An evaluation that completes with everything placed cancels
 * the job's blocked ones: "evaluation \"<id>\" successful" (nomad/state/state_store.go `nestedUpsertEval`); a newer
 * blocked evaluation makes the older one a duplicate, cancelled with "existing blocked evaluation exists for job
 * \"<job>\"" (nomad/blocked_evals.go `processBlockJobDuplicate`, nomad/leader.go `reapDupBlockedEvaluations`).
 */
export function cancelBlockedEvals(s: State, done: Evaluation, newBlocked?: Evaluation): void {
  if (!newBlocked && (done.Status !== 'complete' || (done.FailedTGAllocs && Object.keys(done.FailedTGAllocs).length))) return
  for (const b of s.evals.values()) {
    if (b === newBlocked || b.Status !== 'blocked' || b.Namespace !== done.Namespace || b.JobID !== done.JobID) continue
    const idx = s.bump('evals')
    b.Status = 'cancelled'
    b.StatusDescription = newBlocked ? `existing blocked evaluation exists for job "${b.JobID}"` : `evaluation "${done.ID}" successful`
    b.ModifyIndex = idx
    b.ModifyTime = nowNs()
  }
}

/**
 * Capacity appeared (an allocation stopped or failed on a client, or a node joined): every blocked evaluation is
 * processed again, keeping its status "blocked" while the scheduler runs; it completes when all was placed, else it
 * is blocked again (nomad/blocked_evals.go `Unblock`/`UnblockNode`, scheduler/generic_sched.go `ReblockEval`).
 */
export function unblockEvals(s: State): void {
  for (const ev of s.evals.values()) {
    if (ev.Status !== 'blocked' || s.unblocking.has(ev.ID)) continue
    s.unblocking.add(ev.ID)
    s.later(s.evalDelayMs, () => {
      s.unblocking.delete(ev.ID)
      const rec = s.findJob(ev.Namespace, ev.JobID)
      if (ev.Status !== 'blocked' || !rec || rec.current.Stop) return
      s.workers.processEval(s, ev.ID, rec.current)
    })
  }
}
