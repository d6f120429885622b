/**
 * The Nomad test double's scheduler: processes an evaluation into allocations and deployments after reconcile.ts,
 * places allocations (the client runs them: `State.workers.runAlloc`), and reschedules failed ones.
 */
import { randomUUID } from 'node:crypto'
import {
  runsToCompletion,
  type Allocation,
  type Deployment,
  type Evaluation,
  type Job,
  type Json,
  type RescheduleEvent,
  type TaskGroup
} from './model.js'
import { isTerminal, nowNs, type State } from './state.js'
import { createDeployment, maybeCompleteDeployment, setAllocHealth } from './deployments.js'
import { cancelBlockedEvals, createEval } from './evals.js'
import { deploymentForVersion, isActiveDeployment, nameIndex, presentAllocs, reconcile, taskGroupsUpdate, tgResources } from './reconcile.js'
import { stopAlloc, taskEvent } from './task-events.js'
import { rescheduleDelay, rescheduleEligible, reschedulePolicy } from './policies.js'

export function processEval(s: State, evalId: string, oldJob: Job | undefined): void {
  const ev = s.evals.get(evalId)
  const wasBlocked = ev?.Status === 'blocked'
  if (!ev || (ev.Status !== 'pending' && !wasBlocked)) return
  const rec = s.findJob(ev.Namespace, ev.JobID)
  if (!rec) return
  const job = rec.current
  const versionDep = job.Type === 'service' ? deploymentForVersion(s, ev.Namespace, job.ID, job.Version) : undefined
  const plans = reconcile(s, ev.Namespace, job, oldJob, false, versionDep)
  const queued: Record<string, number> = {}
  const failed: Record<string, Json> = {}
  let deployment: Deployment | undefined
  // a new deployment when this job version has none, and it is the version's first run or allocations of older
  // versions are to be replaced or moved (scheduler/reconcile.go `createDeployment`: hadRunning, updatingSpec)
  const hadRunning = [...s.allocs.values()].some((a) => a.Namespace === ev.Namespace && a.JobID === job.ID && a.JobVersion === job.Version)
  const work = plans.some((p) => p.place + p.canary + p.outdated > 0)
  if (job.Type === 'service') {
    if (isActiveDeployment(versionDep)) deployment = versionDep
    else if (!versionDep && work && (!hadRunning || plans.some((p) => p.outdated > 0))) {
      for (const d of s.deployments.values()) {
        if (d.Namespace !== ev.Namespace || d.JobID !== job.ID || !isActiveDeployment(d)) continue
        d.Status = 'cancelled'
        d.StatusDescription = 'Cancelled due to newer version of job'
        s.touchDeployment(d)
        s.cancel(s.progressTimers.get(d.ID))
      }
      deployment = createDeployment(s, job, plans, ev.ID)
    }
  }
  for (const p of plans) {
    const tg = job.TaskGroups.find((g) => g.Name === p.name)!
    // in place: existing allocs move to the new version and join the deployment (healthy again after healthyAfterMs)
    for (const a of p.inplaceAllocs) {
      a.JobVersion = job.Version
      if (!deployment || a.DeploymentID === deployment.ID) continue
      a.DeploymentID = deployment.ID
      a.DeploymentStatus = { Healthy: null, Timestamp: '0001-01-01T00:00:00Z', Canary: false, ModifyIndex: a.ModifyIndex }
      if (deployment.TaskGroups[p.name]) deployment.TaskGroups[p.name].PlacedAllocs++
      s.touchAlloc(a)
      s.later(s.healthyAfterMs, () => {
        if (a.DesiredStatus === 'run' && !isTerminal(a) && a.ClientStatus === 'running') setAllocHealth(s, a, true)
      })
    }
    for (const a of p.stopAllocs) stopAlloc(s, a, 'alloc not needed due to job update')
    let placed = 0
    for (const a of p.destructiveAllocs) {
      stopAlloc(s, a, 'alloc is being updated due to job update')
      if (placeAlloc(s, job, tg, ev, deployment, false, undefined, a)) placed++
    }
    for (let i = 0; i < p.place + p.canary; i++) {
      if (!placeAlloc(s, job, tg, ev, deployment, i >= p.place)) break
      placed++
    }
    queued[p.name] = 0
    if (p.failed) {
      failed[p.name] = p.failed
      queued[p.name] = p.place + p.destructive + p.canary - placed
    }
  }
  const idx = s.bump('evals')
  ev.Status = wasBlocked && Object.keys(failed).length ? 'blocked' : 'complete'
  ev.QueuedAllocations = queued
  ev.ModifyIndex = idx
  ev.ModifyTime = nowNs()
  ev.SnapshotIndex = idx
  if (deployment) ev.DeploymentID = deployment.ID
  if (Object.keys(failed).length && wasBlocked) {
    // still no room: the same eval is blocked again
  } else if (Object.keys(failed).length) {
    ev.FailedTGAllocs = failed
    const blocked = {
      ...structuredClone(ev),
      ID: randomUUID(),
      Status: 'blocked',
      StatusDescription: 'created to place remaining allocations',
      TriggeredBy: 'queued-allocs',
      PreviousEval: ev.ID,
      FailedTGAllocs: null,
      DeploymentID: ev.DeploymentID,
      CreateIndex: idx,
      ModifyIndex: idx
    }
    s.evals.set(blocked.ID, blocked)
    ev.BlockedEval = blocked.ID
    cancelBlockedEvals(s, ev, blocked)
  } else cancelBlockedEvals(s, ev)
  if (runsToCompletion(job.Type) && plans.every((p) => p.place === 0) && s.liveAllocs(ev.Namespace, job.ID).length === 0) {
    s.setJobStatus(rec, 'dead')
  }
  if (deployment) maybeCompleteDeployment(s, deployment)
}
/** The lowest name index `[i]` below count that no present allocation of the group has (else the old rotation). */
function freeIndex(s: State, job: Job, tgName: string, count: number, placedBefore: number): number {
  const taken = new Set(
    presentAllocs(s, job.Namespace, job)
      .filter((a) => a.TaskGroup === tgName)
      .map(nameIndex)
  )
  for (let i = 0; i < count; i++) if (!taken.has(i)) return i
  return placedBefore % Math.max(1, count)
}

export function placeAlloc(
  s: State,
  job: Job,
  tg: TaskGroup,
  ev: Evaluation,
  deployment: Deployment | undefined,
  canary: boolean,
  previous?: { alloc: Allocation; delayNs: number },
  replaces?: Allocation
): Allocation | undefined {
  const need = tgResources(tg)
  const node = s.nodes.find((n) => {
    const u = s.nodeUsage(n.ID)
    return n.cpu - u.cpu >= need.cpu && n.memoryMB - u.mem >= need.mem
  })
  if (!node) return undefined
  const idx = s.bump('allocs')
  const sameTg = [...s.allocs.values()].filter((a) => a.JobID === job.ID && a.Namespace === job.Namespace && a.TaskGroup === tg.Name)
  const a: Allocation = {
    ID: randomUUID(),
    EvalID: ev.ID,
    Name: (previous?.alloc ?? replaces)?.Name ?? `${job.ID}.${tg.Name}[${freeIndex(s, job, tg.Name, Number(tg.Count ?? 1), sameTg.length)}]`,
    Namespace: job.Namespace,
    NodeID: node.ID,
    NodeName: node.Name,
    JobID: job.ID,
    JobType: job.Type,
    JobVersion: job.Version,
    TaskGroup: tg.Name,
    DesiredStatus: 'run',
    DesiredDescription: '',
    ClientStatus: 'pending',
    ClientDescription: 'No tasks have started',
    DeploymentID: deployment?.ID ?? '',
    DeploymentStatus: deployment ? { Healthy: null, Timestamp: '0001-01-01T00:00:00Z', Canary: canary, ModifyIndex: idx } : null,
    TaskStates: Object.fromEntries(
      (tg.Tasks ?? []).map((t) => [
        t.Name,
        {
          State: 'pending',
          Failed: false,
          Restarts: 0,
          LastRestart: null,
          StartedAt: null,
          FinishedAt: null,
          Events: [taskEvent('Received', 'Task received by client')]
        }
      ])
    ),
    FollowupEvalID: '',
    NextAllocation: '',
    PreviousAllocation: (previous?.alloc ?? replaces)?.ID ?? '',
    RescheduleTracker: previous
      ? {
          Events: [
            ...(previous.alloc.RescheduleTracker?.Events ?? []),
            { RescheduleTime: nowNs(), PrevAllocID: previous.alloc.ID, PrevNodeID: previous.alloc.NodeID, Delay: previous.delayNs }
          ],
          LastReschedule: 'ok'
        }
      : null,
    DesiredTransition: { Migrate: null, Reschedule: null, ForceReschedule: null, NoShutdownDelay: null },
    PreemptedAllocations: null,
    PreemptedByAllocation: '',
    AllocatedResources: { Shared: need },
    CreateIndex: idx,
    ModifyIndex: idx,
    AllocModifyIndex: idx,
    CreateTime: nowNs(),
    ModifyTime: nowNs()
  }
  s.allocs.set(a.ID, a)
  if (deployment) {
    const dtg = deployment.TaskGroups[tg.Name]
    if (dtg) {
      dtg.PlacedAllocs++
      if (canary) dtg.PlacedCanaries = [...(dtg.PlacedCanaries ?? []), a.ID]
    }
    s.touchDeployment(deployment)
    if (job.Type === 'service') {
      const hd = s.healthyDeadlineOverrideMs !== undefined ? s.healthyDeadlineOverrideMs : s.scaledMs(taskGroupsUpdate(job, tg).HealthyDeadline)
      if (hd > 0)
        s.healthTimers.set(
          a.ID,
          s.later(hd, () => {
            if (a.DeploymentStatus && a.DeploymentStatus.Healthy === null && !isTerminal(a) && a.DesiredStatus === 'run') setAllocHealth(s, a, false)
          })
        )
    }
  }
  const failure = s.failures.find(
    (f) => f.ns === job.Namespace && f.jobId === job.ID && (f.version === undefined || f.version === job.Version) && f.remaining > 0
  )
  if (failure) {
    failure.remaining--
    s.allocFailures.set(a.ID, { message: failure.message, recoverable: failure.recoverable, exitCode: failure.exitCode })
  }
  s.later(s.allocStartMs, () => s.workers.runAlloc(s, a.ID, job, tg))
  return a
}

/**
 * After an allocation failed: if its reschedule policy allows, a follow-up evaluation ("alloc-failure",
 * "created for delayed rescheduling", WaitUntil) places a replacement after the policy's delay; the failed alloc is
 * then stopped with "alloc was rescheduled because it failed" (scheduler/reconcile.go, generic_sched.go).
 * No rescheduling inside a failed deployment.
 */
export function maybeReschedule(s: State, a: Allocation): void {
  const rec = s.findJob(a.Namespace, a.JobID)
  if (!rec || rec.current.Stop || a.DesiredStatus !== 'run' || a.FollowupEvalID) return
  const job = rec.current
  const tg = job.TaskGroups.find((g) => g.Name === a.TaskGroup)
  if (!tg) return
  const d = a.DeploymentID ? s.deployments.get(a.DeploymentID) : undefined
  if (d && d.Status === 'failed') return
  const policy = reschedulePolicy(job, tg)
  const events: RescheduleEvent[] = a.RescheduleTracker?.Events ?? []
  if (!rescheduleEligible(policy, events, nowNs())) return
  const delayNs = rescheduleDelay(policy, events)
  const waitMs = s.scaledMs(delayNs)
  const ev = createEval(
    s,
    a.Namespace,
    job,
    'alloc-failure',
    undefined,
    { StatusDescription: 'created for delayed rescheduling', WaitUntil: new Date(Date.now() + delayNs / 1e6).toISOString(), PreviousEval: a.EvalID },
    (ev) => {
      const dep = a.DeploymentID ? s.deployments.get(a.DeploymentID) : undefined
      if (a.DesiredStatus !== 'run' || a.NextAllocation || (dep && dep.Status === 'failed')) return
      const current = s.findJob(a.Namespace, a.JobID)?.current
      if (!current || current.Stop) return
      const curTg = current.TaskGroups.find((g) => g.Name === a.TaskGroup)
      if (!curTg) return
      const active = dep && dep.Status === 'running' && dep.JobVersion === current.Version ? dep : undefined
      const next = placeAlloc(s, current, curTg, ev, active, false, { alloc: a, delayNs })
      if (!next) return
      a.NextAllocation = next.ID
      a.DesiredStatus = 'stop'
      a.DesiredDescription = 'alloc was rescheduled because it failed'
      s.touchAlloc(a)
    },
    waitMs
  )
  a.FollowupEvalID = ev.ID
  s.touchAlloc(a)
}
