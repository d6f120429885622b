/**
 * The Nomad test double's scheduler: what changes per task group (create, ignore, in-place, destructive, canary),
 * first-fit placement on CPU/memory, evaluations and their processing into allocations and deployments.
 */
import { randomUUID } from 'node:crypto'
import { UPDATE_DEFAULTS } from './jobspec.js'
import type { Obj } from './options.js'
import { isTerminal, nowNs, type State } from './state.js'
import { stableStringify } from './diff.js'
import { createDeployment, maybeCompleteDeployment, setAllocHealth } from './deployments.js'
import { startAlloc, stopAlloc, taskEvent } from './task-runner.js'
import { rescheduleDelay, rescheduleEligible, reschedulePolicy } from './policies.js'

export function taskGroupsUpdate(job: Obj, tg: Obj): Obj {
  return { ...UPDATE_DEFAULTS, ...(job.Update ?? {}), ...(tg.Update ?? {}) }
}

export function tgResources(tg: Obj): { cpu: number; mem: number } {
  let cpu = 0
  let mem = 0
  for (const t of tg.Tasks ?? []) {
    cpu += Number(t.Resources?.CPU ?? 100)
    mem += Number(t.Resources?.MemoryMB ?? 300)
  }
  return { cpu, mem }
}
export type TgChange = 'none' | 'inplace' | 'destructive' | 'new'

/** Task fields whose change replaces the allocation (scheduler/util.go tasksUpdated; the double's subset). */
const DESTRUCTIVE_TASK_FIELDS = [
  'Driver',
  'User',
  'Config',
  'Env',
  'Artifacts',
  'Vault',
  'Templates',
  'Identity',
  'Identities',
  'VolumeMounts',
  'LogConfig'
]
const DESTRUCTIVE_RESOURCES = ['CPU', 'Cores', 'MemoryMB', 'MemoryMaxMB', 'DiskMB', 'Networks', 'Devices']

/** Job meta, then group meta, then task meta (structs.Job.CombinedTaskMeta). */
function combinedTaskMeta(job: Obj | undefined, tg: Obj, t: Obj): Obj {
  return { ...(job?.Meta ?? {}), ...(tg.Meta ?? {}), ...(t.Meta ?? {}) }
}

/**
 * How a task group changes between two job versions. Like Nomad's tasksUpdated, a change in the combined meta of
 * any task is destructive: a meta-only change replaces every allocation. Count and update-block changes are in-place.
 */
export function tgChange(oldJob: Obj | undefined, newJob: Obj, tgName: string): TgChange {
  const oldTg = oldJob?.TaskGroups?.find((g: Obj) => g.Name === tgName)
  const newTg = newJob.TaskGroups.find((g: Obj) => g.Name === tgName)
  if (!oldTg) return 'new'
  if (oldTg.Tasks.length !== newTg.Tasks.length) return 'destructive'
  const oldTasks = new Map<string, Obj>(oldTg.Tasks.map((t: Obj) => [t.Name, t]))
  for (const t of newTg.Tasks) {
    const o = oldTasks.get(t.Name)
    if (!o) return 'destructive'
    for (const f of DESTRUCTIVE_TASK_FIELDS) if (stableStringify(o[f]) !== stableStringify(t[f])) return 'destructive'
    for (const f of DESTRUCTIVE_RESOURCES) if (stableStringify(o.Resources?.[f]) !== stableStringify(t.Resources?.[f])) return 'destructive'
    if (stableStringify(combinedTaskMeta(oldJob, oldTg, o)) !== stableStringify(combinedTaskMeta(newJob, newTg, t))) return 'destructive'
  }
  const { Tasks: ot, Count: oc, ...oldRest } = oldTg
  const { Tasks: nt, Count: nc, ...newRest } = newTg
  void oc
  void nc
  if (stableStringify(ot) !== stableStringify(nt) || stableStringify(oldRest) !== stableStringify(newRest)) return 'inplace'
  return 'none'
}

export function allocMetric(s: State, tgName: string, exhausted: { dim: string; nodes: number; coalesced: number }): Obj {
  const byDc: Record<string, number> = {}
  for (const n of s.nodes) byDc[n.Datacenter] = (byDc[n.Datacenter] ?? 0) + 1
  void tgName
  return {
    NodesEvaluated: s.nodes.length,
    NodesFiltered: 0,
    NodesInPool: s.nodes.length,
    NodesAvailable: byDc,
    ClassFiltered: null,
    ConstraintFiltered: null,
    NodesExhausted: exhausted.nodes,
    ClassExhausted: null,
    DimensionExhausted: exhausted.nodes ? { [exhausted.dim]: exhausted.nodes } : null,
    QuotaExhausted: null,
    ResourcesExhausted: null,
    Scores: null,
    ScoreMetaData: null,
    AllocationTime: 12000,
    CoalescedFailures: exhausted.coalesced
  }
}

export interface TgPlan {
  name: string
  change: TgChange
  place: number
  stop: number
  inplace: number
  destructive: number
  canary: number
  ignore: number
  failed?: Obj
}

/** What the scheduler would do (also used by plan). Does not mutate state. */
export function reconcile(s: State, ns: string, newJob: Obj, oldJob: Obj | undefined, isPlan: boolean): TgPlan[] {
  const result: TgPlan[] = []
  const live = s.liveAllocs(ns, newJob.ID)
  // capacity simulation: free resources per node excluding allocs that this plan stops
  const free = new Map(s.nodes.map((n) => [n.ID, { cpu: n.cpu - s.nodeUsage(n.ID).cpu, mem: n.memoryMB - s.nodeUsage(n.ID).mem }]))
  const plans: TgPlan[] = []
  for (const tg of newJob.TaskGroups) {
    const tgLive = live.filter((a) => a.TaskGroup === tg.Name)
    const change = tgChange(oldJob, newJob, tg.Name)
    const upd = taskGroupsUpdate(newJob, tg)
    const count = Number(tg.Count ?? 1)
    const p: TgPlan = { name: tg.Name, change, place: 0, stop: 0, inplace: 0, destructive: 0, canary: 0, ignore: 0 }
    if (newJob.Type === 'batch' && change === 'none') {
      // completed batch allocs are not re-placed
      const done = [...s.allocs.values()].filter(
        (a) => a.Namespace === ns && a.JobID === newJob.ID && a.TaskGroup === tg.Name && a.ClientStatus === 'complete'
      ).length
      p.ignore = tgLive.length
      p.place = Math.max(0, count - tgLive.length - done)
    } else if (change === 'new') {
      p.place = count
    } else if (change === 'none' || change === 'inplace') {
      const keep = Math.min(count, tgLive.length)
      if (change === 'none') p.ignore = keep
      else p.inplace = keep
      p.place = Math.max(0, count - tgLive.length)
      p.stop = Math.max(0, tgLive.length - count)
    } else {
      // destructive
      const canaries = newJob.Type === 'service' && tgLive.length > 0 ? Number(upd.Canary ?? 0) : 0
      if (canaries > 0) {
        p.canary = canaries
        p.ignore = Math.min(count, tgLive.length)
      } else {
        p.destructive = Math.min(count, tgLive.length)
        p.place = Math.max(0, count - tgLive.length)
        p.stop = Math.max(0, tgLive.length - count)
      }
    }
    plans.push(p)
  }
  // free resources of allocs that will be stopped or replaced
  for (const p of plans) {
    const tgLive = live.filter((a) => a.TaskGroup === p.name)
    const freed = p.destructive + p.stop
    for (const a of tgLive.slice(0, freed)) {
      const f = free.get(a.NodeID)!
      f.cpu += a.AllocatedResources.Shared.cpu
      f.mem += a.AllocatedResources.Shared.mem
    }
  }
  for (const p of plans) {
    const tg = newJob.TaskGroups.find((g: Obj) => g.Name === p.name)
    const need = tgResources(tg)
    const toPlace = p.place + p.destructive + p.canary
    let placed = 0
    let exhaustedDim = 'cpu'
    for (let i = 0; i < toPlace; i++) {
      const n = s.nodes.find((n) => {
        const f = free.get(n.ID)!
        if (f.cpu < need.cpu) {
          exhaustedDim = 'cpu'
          return false
        }
        if (f.mem < need.mem) {
          exhaustedDim = 'memory'
          return false
        }
        return true
      })
      if (!n) break
      const f = free.get(n.ID)!
      f.cpu -= need.cpu
      f.mem -= need.mem
      placed++
    }
    if (placed < toPlace) {
      p.failed = allocMetric(s, p.name, { dim: exhaustedDim, nodes: s.nodes.length, coalesced: toPlace - placed - 1 })
    }
    result.push(p)
  }
  void isPlan
  return result
}
export function createEval(
  s: State,
  ns: string,
  job: Obj,
  triggeredBy: string,
  previousJob: Obj | undefined,
  extra: Obj = {},
  work?: (ev: Obj) => void,
  delayMs?: number
): Obj {
  const idx = s.bump('evals')
  const ev: Obj = {
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
    if (!work) return processEval(s, ev.ID, prevSnapshot)
    if (ev.Status !== 'pending') return
    work(ev)
    const idx = s.bump('evals')
    ev.Status = 'complete'
    ev.ModifyIndex = idx
    ev.ModifyTime = nowNs()
  })
  return ev
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
      processEval(s, ev.ID, rec.current)
    })
  }
}

export function processEval(s: State, evalId: string, oldJob: Obj | undefined): void {
  const ev = s.evals.get(evalId)
  const wasBlocked = ev?.Status === 'blocked'
  if (!ev || (ev.Status !== 'pending' && !wasBlocked)) return
  const rec = s.findJob(ev.Namespace, ev.JobID)
  if (!rec) return
  const job = rec.current
  if (job.JobModifyIndex !== ev.JobModifyIndex && ev.TriggeredBy === 'job-register') {
    // a newer registration superseded this eval; still complete it like Nomad would (nothing to do)
  }
  const plans = reconcile(s, ev.Namespace, job, oldJob, false)
  const queued: Record<string, number> = {}
  const failed: Record<string, Obj> = {}
  let deployment: Obj | undefined
  const hasChanges = plans.some((p) => p.change !== 'none')
  const existingActive = [...s.deployments.values()].find((d) => d.Namespace === ev.Namespace && d.JobID === job.ID && d.Status === 'running')
  if (job.Type === 'service' && hasChanges) {
    if (existingActive && existingActive.JobVersion !== job.Version) {
      existingActive.Status = 'cancelled'
      existingActive.StatusDescription = 'Cancelled due to newer version of job'
      s.touchDeployment(existingActive)
      s.cancel(s.progressTimers.get(existingActive.ID))
    }
    if (!existingActive || existingActive.JobVersion !== job.Version) deployment = createDeployment(s, job, plans, ev.ID)
    else deployment = existingActive
  } else if (wasBlocked && existingActive?.JobVersion === job.Version) {
    deployment = existingActive // the blocked eval's allocations join the deployment it was created in
  }
  const live = s.liveAllocs(ev.Namespace, job.ID)
  for (const p of plans) {
    const tg = job.TaskGroups.find((g: Obj) => g.Name === p.name)
    const tgLive = live.filter((a) => a.TaskGroup === p.name)
    // in-place: existing allocs move to the new version and join the deployment (healthy again after healthyAfterMs)
    if (p.change === 'none' || p.change === 'inplace') for (const a of tgLive) a.JobVersion = job.Version
    if (p.change === 'inplace' && deployment)
      for (const a of tgLive.slice(0, p.inplace)) {
        a.DeploymentID = deployment.ID
        a.DeploymentStatus = { Healthy: null, Timestamp: '0001-01-01T00:00:00Z', Canary: false, ModifyIndex: a.ModifyIndex }
        deployment.TaskGroups[p.name].PlacedAllocs++
        s.touchAlloc(a)
        s.later(s.healthyAfterMs, () => {
          if (a.DesiredStatus === 'run' && !isTerminal(a) && a.ClientStatus === 'running') setAllocHealth(s, a, true)
        })
      }
    const toStop = tgLive.slice(0, p.stop + p.destructive)
    for (const a of toStop) stopAlloc(s, a, 'alloc is being updated due to job update')
    const total = p.place + p.destructive + p.canary
    let placed = 0
    for (let i = 0; i < total; i++) {
      const a = placeAlloc(s, job, tg, ev, deployment, p.canary > 0)
      if (!a) break
      placed++
    }
    queued[p.name] = 0
    if (p.failed) {
      failed[p.name] = p.failed
      queued[p.name] = total - placed
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
  }
  if (job.Type === 'batch' && plans.every((p) => p.place === 0) && s.liveAllocs(ev.Namespace, job.ID).length === 0) {
    s.setJobStatus(rec, 'dead')
  }
  if (deployment) maybeCompleteDeployment(s, deployment)
}
export function placeAlloc(
  s: State,
  job: Obj,
  tg: Obj,
  ev: Obj,
  deployment: Obj | undefined,
  canary: boolean,
  previous?: { alloc: Obj; delayNs: number }
): Obj | undefined {
  const need = tgResources(tg)
  const node = s.nodes.find((n) => {
    const u = s.nodeUsage(n.ID)
    return n.cpu - u.cpu >= need.cpu && n.memoryMB - u.mem >= need.mem
  })
  if (!node) return undefined
  const idx = s.bump('allocs')
  const sameTg = [...s.allocs.values()].filter((a) => a.JobID === job.ID && a.Namespace === job.Namespace && a.TaskGroup === tg.Name)
  const a: Obj = {
    ID: randomUUID(),
    EvalID: ev.ID,
    Name: previous ? previous.alloc.Name : `${job.ID}.${tg.Name}[${sameTg.length % Math.max(1, Number(tg.Count ?? 1))}]`,
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
      (tg.Tasks ?? []).map((t: Obj) => [
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
    PreviousAllocation: previous?.alloc.ID ?? '',
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
  s.later(s.allocStartMs, () => startAlloc(s, a.ID, job, tg))
  return a
}

/**
 * After an allocation failed: if its reschedule policy allows, a follow-up evaluation ("alloc-failure",
 * "created for delayed rescheduling", WaitUntil) places a replacement after the policy's delay; the failed alloc is
 * then stopped with "alloc was rescheduled because it failed" (scheduler/reconcile.go, generic_sched.go).
 * No rescheduling inside a failed deployment.
 */
export function maybeReschedule(s: State, a: Obj): void {
  const rec = s.findJob(a.Namespace, a.JobID)
  if (!rec || rec.current.Stop || a.DesiredStatus !== 'run' || a.FollowupEvalID) return
  const job = rec.current
  const tg = job.TaskGroups.find((g: Obj) => g.Name === a.TaskGroup)
  if (!tg) return
  const d = a.DeploymentID ? s.deployments.get(a.DeploymentID) : undefined
  if (d && d.Status === 'failed') return
  const policy = reschedulePolicy(job, tg)
  const events: Obj[] = a.RescheduleTracker?.Events ?? []
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
      const curTg = current.TaskGroups.find((g: Obj) => g.Name === a.TaskGroup)
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
