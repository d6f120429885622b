/**
 * The Nomad test double's deployment watcher: deployments per job version, alloc health, canary promotion,
 * progress deadlines, failure with auto-revert.
 */
import { randomUUID } from 'node:crypto'
import { NomadApiError } from './api-error.js'
import type { Allocation, Deployment, DeploymentState, Evaluation, Job } from './model.js'
import { isTerminal, nowNs, type State } from './state.js'
import { specOf } from './diff.js'
import { createEval } from './evals.js'
import { isActiveDeployment, taskGroupsUpdate, type TgPlan } from './reconcile.js'
import { register } from './jobs-admission.js'
import { stopAlloc } from './task-events.js'
import { rescheduleEligible, reschedulePolicy } from './policies.js'

export function createDeployment(s: State, job: Job, plans: TgPlan[], evalId: string): Deployment {
  const idx = s.bump('deployments')
  const TaskGroups: Record<string, DeploymentState> = {}
  let requiresPromotion = false
  let autoPromote = true
  const wall: number[] = []
  for (const p of plans) {
    const tg = job.TaskGroups.find((g) => g.Name === p.name)!
    const upd = taskGroupsUpdate(job, tg)
    const progress = s.progressDeadlineOverrideMs !== undefined ? s.progressDeadlineOverrideMs * 1e6 : upd.ProgressDeadline
    // wall clock: the override as given, Nomad's deadline scaled by timeScale
    const wallMs = s.progressDeadlineOverrideMs ?? s.scaledMs(upd.ProgressDeadline)
    if (p.canary > 0) {
      requiresPromotion = true
      autoPromote &&= Boolean(upd.AutoPromote)
    }
    TaskGroups[p.name] = {
      AutoRevert: Boolean(upd.AutoRevert),
      AutoPromote: Boolean(upd.AutoPromote),
      ProgressDeadline: progress,
      RequireProgressBy: progress ? new Date(Date.now() + wallMs).toISOString() : '0001-01-01T00:00:00Z',
      Promoted: false,
      PlacedCanaries: null,
      DesiredCanaries: p.canary,
      DesiredTotal: Number(tg.Count ?? 1),
      PlacedAllocs: 0,
      HealthyAllocs: 0,
      UnhealthyAllocs: 0
    }
    if (progress) wall.push(wallMs)
  }
  const d: Deployment = {
    ID: randomUUID(),
    Namespace: job.Namespace,
    JobID: job.ID,
    JobVersion: job.Version,
    JobModifyIndex: job.JobModifyIndex,
    JobSpecModifyIndex: job.JobModifyIndex,
    JobCreateIndex: job.CreateIndex,
    IsMultiregion: false,
    TaskGroups,
    Status: 'running',
    StatusDescription: requiresPromotion
      ? autoPromote
        ? 'Deployment is running pending automatic promotion'
        : 'Deployment is running but requires manual promotion'
      : 'Deployment is running',
    EvalPriority: job.Priority ?? 50,
    CreateIndex: idx,
    ModifyIndex: idx,
    CreateTime: nowNs(),
    ModifyTime: nowNs()
  }
  void evalId
  s.deployments.set(d.ID, d)
  if (wall.length) s.progressMs.set(d.ID, Math.min(...wall))
  armProgress(s, d)
  return d
}

export function armProgress(s: State, d: Deployment): void {
  s.cancel(s.progressTimers.get(d.ID))
  const ms = s.progressMs.get(d.ID)
  if (ms === undefined) return
  for (const t of Object.values(d.TaskGroups)) if (t.ProgressDeadline) t.RequireProgressBy = new Date(Date.now() + ms).toISOString()
  s.progressTimers.set(
    d.ID,
    s.later(ms, () => {
      if (d.Status === 'running') failDeployment(s, d, 'Failed due to progress deadline')
    })
  )
}

/**
 * The deployment watcher saw an allocation become healthy: after its batching period (1 s, scaled) it creates a
 * "deployment-watcher" evaluation, whose scheduler pass places the next `max_parallel` allocations
 * (nomad/deploymentwatcher/deployment_watcher.go `handleAllocUpdate` → `createBatchedUpdate`, perJobEvalBatchPeriod).
 */
export function pushDeployment(s: State, d: Deployment): void {
  if (s.watcherBatches.has(d.ID)) return
  s.watcherBatches.add(d.ID)
  s.later(s.scaledMs(1e9), () => {
    s.watcherBatches.delete(d.ID)
    const rec = s.findJob(d.Namespace, d.JobID)
    if (d.Status !== 'running' || !rec || rec.current.Version !== d.JobVersion) return
    createEval(s, d.Namespace, rec.current, 'deployment-watcher', undefined, { DeploymentID: d.ID })
  })
}

// ---------------------------------------------------------------- alloc health
/**
 * An allocation's deployment health changes. The counts move as Nomad's state store moves them
 * (nomad/state/state_store.go `updateDeploymentWithAlloc`): unset → healthy or unhealthy counts it once, healthy →
 * unhealthy moves it, unhealthy → healthy counts nothing; a healthy one pushes the progress deadline. The client's
 * own report is ignored once the health is set (e.g. by `allocation-health`), and never sent for a group with
 * `health_check = "manual"` (client/allocrunner/health_hook.go: no health watcher, so no healthy deadline either).
 * `manual`: set through `/v1/deployment/allocation-health`, whose route fails the deployment and creates the
 * evaluation itself.
 */
export function setAllocHealth(s: State, a: Allocation, healthy: boolean, manual = false): void {
  s.cancel(s.healthTimers.get(a.ID))
  const before: boolean | null | undefined = a.DeploymentStatus?.Healthy
  if (before === healthy || (!manual && before !== null && before !== undefined)) return
  if (!manual && healthCheckOf(s, a) === 'manual') return
  a.DeploymentStatus = { ...(a.DeploymentStatus ?? {}), Healthy: healthy, Timestamp: new Date().toISOString() }
  s.touchAlloc(a)
  a.DeploymentStatus.ModifyIndex = a.ModifyIndex
  const d = s.deployments.get(a.DeploymentID)
  if (!d || !isActiveDeployment(d)) return
  const dtg = d.TaskGroups[a.TaskGroup]
  if (!dtg) return
  if (before === null || before === undefined) {
    if (healthy) dtg.HealthyAllocs++
    else dtg.UnhealthyAllocs++
  } else if (before === true) {
    dtg.HealthyAllocs--
    dtg.UnhealthyAllocs++
  }
  if (healthy) armProgress(s, d)
  s.touchDeployment(d)
  if (manual) return
  if (healthy) {
    maybeCompleteDeployment(s, d)
    pushDeployment(s, d)
  } else if (shouldFailEarly(s, d, a)) failDeployment(s, d, 'Failed due to unhealthy allocations')
}

/** The allocation's group's update `health_check` ("checks", "task_states" or "manual") in the version it runs. */
function healthCheckOf(s: State, a: Allocation): string | undefined {
  const job = s.findJob(a.Namespace, a.JobID)?.versions[a.JobVersion]
  const tg = job?.TaskGroups.find((g) => g.Name === a.TaskGroup)
  return job && tg ? taskGroupsUpdate(job, tg).HealthCheck : undefined
}

/**
 * An unhealthy alloc fails the deployment at once only without a progress deadline, or when the alloc cannot be
 * rescheduled any more; otherwise the deployment runs on until its progress deadline
 * (nomad/deploymentwatcher/deployment_watcher.go `shouldFailEarly`).
 */
function shouldFailEarly(s: State, d: Deployment, a: Allocation): boolean {
  if (!d.TaskGroups[a.TaskGroup]?.ProgressDeadline) return true
  const job = s.findJob(d.Namespace, d.JobID)?.versions[d.JobVersion]
  const tg = job?.TaskGroups.find((g) => g.Name === a.TaskGroup)
  if (!job || !tg) return true
  return !rescheduleEligible(reschedulePolicy(job, tg), a.RescheduleTracker?.Events ?? [], nowNs())
}

export function maybeCompleteDeployment(s: State, d: Deployment): void {
  if (!isActiveDeployment(d)) return
  const tgs = Object.entries(d.TaskGroups)
  // canary phase
  const needsPromotion = tgs.some(([, t]) => t.DesiredCanaries > 0 && !t.Promoted)
  if (needsPromotion) {
    const canariesHealthy = tgs.every(
      ([, t]) =>
        t.DesiredCanaries === 0 || t.Promoted || ((t.PlacedCanaries?.length ?? 0) >= t.DesiredCanaries && t.HealthyAllocs >= t.DesiredCanaries)
    )
    const auto = tgs.every(([, t]) => t.DesiredCanaries === 0 || t.AutoPromote)
    if (canariesHealthy && auto) promote(s, d)
    return
  }
  const done = tgs.every(([, t]) => t.HealthyAllocs >= t.DesiredTotal)
  if (!done) return
  s.cancel(s.progressTimers.get(d.ID))
  d.Status = 'successful'
  d.StatusDescription = 'Deployment completed successfully'
  s.touchDeployment(d)
  const rec = s.findJob(d.Namespace, d.JobID)
  if (rec) {
    const v = rec.versions[d.JobVersion]
    if (v) v.Stable = true
    s.bump('jobs')
  }
}

/**
 * Fails a deployment and, with auto_revert, registers the newest stable older version again; returns that version
 * when it does. `autoRevert` defaults to any group's AutoRevert; `noTargetSuffix: false` leaves out " - no stable job
 * version to auto revert to" (the allocation-health path has no such suffix: deployment_watcher.go `SetAllocHealth`).
 */
export function failDeployment(s: State, d: Deployment, why: string, o: { autoRevert?: boolean; noTargetSuffix?: boolean } = {}): number | undefined {
  if (!isActiveDeployment(d)) return undefined
  s.cancel(s.progressTimers.get(d.ID))
  d.Status = 'failed'
  d.StatusDescription = why
  const rec = s.findJob(d.Namespace, d.JobID)
  const autoRevert = o.autoRevert ?? Object.values(d.TaskGroups).some((t) => t.AutoRevert)
  let revertTo: Job | undefined
  if (autoRevert && rec) {
    revertTo = [...rec.versions].reverse().find((v) => v.Stable && v.Version < d.JobVersion)
    if (!revertTo) {
      if (o.noTargetSuffix !== false) d.StatusDescription += ' - no stable job version to auto revert to'
    } else if (specOf(revertTo) === specOf(rec.current))
      d.StatusDescription += ` - not rolling back to stable job version ${revertTo.Version} as current job has same specification`
    else d.StatusDescription += ` - rolling back to job version ${revertTo.Version}`
  }
  s.touchDeployment(d)
  // canaries of a failed deployment are stopped
  for (const id of Object.values(d.TaskGroups).flatMap((t) => t.PlacedCanaries ?? []))
    if (s.allocs.get(id) && !isTerminal(s.allocs.get(id)!)) stopAlloc(s, s.allocs.get(id)!, 'alloc is being stopped due to failed deployment')
  if (revertTo && rec && d.StatusDescription.includes('rolling back to job version')) {
    const copy = structuredClone(revertTo)
    register(s, rec.namespace, copy, { triggeredBy: 'deployment-watcher' })
    return revertTo.Version
  }
  return undefined
}

/**
 * `nomad deployment pause` / `resume`: "Deployment is paused" (the scheduler then places nothing more for it, and
 * its progress deadline keeps running: the watcher has no pause check), or "Deployment is running" again
 * (nomad/deploymentwatcher/deployment_watcher.go `PauseDeployment`; the route creates the resume's evaluation).
 */
export function pauseDeployment(s: State, d: Deployment, pause: boolean): void {
  d.Status = pause ? 'paused' : 'running'
  d.StatusDescription = pause ? 'Deployment is paused' : 'Deployment is running'
  s.touchDeployment(d)
}

/**
 * Promotion: the groups are marked promoted, their progress deadline starts again, and a "deployment-watcher"
 * evaluation replaces the old allocations `max_parallel` at a time, as any rolling update
 * (nomad/state/state_store.go `UpsertDeploymentPromotion`, scheduler/reconcile.go `computeStop`/`computeUnderProvisionedBy`).
 */
export function promote(s: State, d: Deployment, groups?: string[]): Evaluation {
  const rec = s.findJob(d.Namespace, d.JobID)
  if (!rec) throw new NomadApiError(500, 'job not found')
  const job = rec.versions[d.JobVersion]
  for (const [name, t] of Object.entries(d.TaskGroups)) {
    if (groups && !groups.includes(name)) continue
    if (t.DesiredCanaries === 0 || t.Promoted) continue
    t.Promoted = true
  }
  if (d.Status === 'running') d.StatusDescription = 'Deployment is running'
  armProgress(s, d)
  s.touchDeployment(d)
  return createEval(s, d.Namespace, job, 'deployment-watcher', undefined, { DeploymentID: d.ID })
}
