/**
 * The Nomad test double's scheduler: what changes per task group (create, ignore, in-place, destructive, canary),
 * first-fit placement on CPU/memory, evaluations and their processing into allocations and deployments.
 */
import { randomUUID } from 'node:crypto'
import { UPDATE_DEFAULTS } from './jobspec.js'
import {
  runsToCompletion,
  type Allocation,
  type Deployment,
  type DeploymentState,
  type Evaluation,
  type Job,
  type Json,
  type RescheduleEvent,
  type Task,
  type TaskGroup,
  type UpdateStrategy
} from './model.js'
import { isTerminal, nowNs, type State } from './state.js'
import { stableStringify } from './diff.js'
import { createDeployment, maybeCompleteDeployment, setAllocHealth } from './deployments.js'
import { startAlloc, stopAlloc, taskEvent } from './task-runner.js'
import { rescheduleDelay, rescheduleEligible, reschedulePolicy } from './policies.js'

export function taskGroupsUpdate(job: Job, tg: TaskGroup): UpdateStrategy {
  // the blocks hold only the fields the jobspec set, so every field has a value
  return { ...UPDATE_DEFAULTS, ...(job.Update ?? {}), ...(tg.Update ?? {}) } as UpdateStrategy
}

export function tgResources(tg: TaskGroup): { cpu: number; mem: number } {
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
function combinedTaskMeta(job: Job | undefined, tg: TaskGroup, t: Task): Json {
  return { ...(job?.Meta ?? {}), ...(tg.Meta ?? {}), ...(t.Meta ?? {}) }
}

/**
 * How a task group changes between two job versions. Like Nomad's tasksUpdated, a change in the combined meta of
 * any task is destructive: a meta-only change replaces every allocation. Count and update-block changes are in-place.
 */
export function tgChange(oldJob: Job | undefined, newJob: Job, tgName: string): TgChange {
  const oldTg = oldJob?.TaskGroups?.find((g) => g.Name === tgName)
  const newTg = newJob.TaskGroups.find((g) => g.Name === tgName)!
  if (!oldTg) return 'new'
  if (oldTg.Tasks.length !== newTg.Tasks.length) return 'destructive'
  const oldTasks = new Map<string, Task>(oldTg.Tasks.map((t) => [t.Name, t]))
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

export function allocMetric(s: State, tgName: string, exhausted: { dim: string; nodes: number; coalesced: number }): Json {
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
  failed?: Json
  /** Allocations this pass stops (more than count), moves to the new version in place, and replaces (destructive). */
  stopAllocs: Allocation[]
  inplaceAllocs: Allocation[]
  destructiveAllocs: Allocation[]
  /** Allocations of an older job version, replaced or moved now or later (Nomad's `updatingSpec`). */
  outdated: number
}

const nameIndex = (a: Allocation): number => Number(/\[(\d+)\]$/.exec(String(a.Name))?.[1] ?? 0)
const ACTIVE = ['running', 'paused']
export const isActiveDeployment = (d: Deployment | undefined): boolean => !!d && ACTIVE.includes(d.Status)

/**
 * The allocations of a job that the scheduler counts as present: meant to run, not replaced, not complete or lost.
 * A failed allocation stays present until it is rescheduled (Nomad's reconciler keeps it "untainted" while it waits
 * for its reschedule), so a failure is not re-placed a second time by the next evaluation.
 */
export function presentAllocs(s: State, ns: string, job: Job): Allocation[] {
  if (runsToCompletion(job.Type)) return s.liveAllocs(ns, job.ID)
  return [...s.allocs.values()].filter(
    (a) =>
      a.Namespace === ns &&
      a.JobID === job.ID &&
      a.DesiredStatus === 'run' &&
      !a.NextAllocation &&
      a.ClientStatus !== 'complete' &&
      a.ClientStatus !== 'lost'
  )
}

/** The job's newest deployment for one job version (any status). */
export function deploymentForVersion(s: State, ns: string, jobId: string, version: number): Deployment | undefined {
  let best: Deployment | undefined
  for (const d of s.deployments.values())
    if (d.Namespace === ns && d.JobID === jobId && d.JobVersion === version && (!best || d.CreateIndex > best.CreateIndex)) best = d
  return best
}

/**
 * One task group's part of a scheduler pass, after Nomad's reconciler (scheduler/reconcile.go `computeGroup`):
 * allocations over the count are stopped; each other allocation is compared with the job version it runs (up to
 * date, in place, or destructive); canaries first when the update block asks for them; destructive updates are
 * limited to what `computeUnderProvisionedBy` allows: `count` without an update block, `max_parallel` before the
 * deployment exists, nothing while the deployment is paused, failed or waiting for promotion, else `max_parallel`
 * minus the deployment's allocations not yet healthy, and nothing at all once one of them is unhealthy.
 */
function reconcileGroup(
  s: State,
  ns: string,
  newJob: Job,
  oldJob: Job | undefined,
  tg: TaskGroup,
  present: Allocation[],
  dep: Deployment | undefined
): TgPlan {
  const change = tgChange(oldJob, newJob, tg.Name)
  // system and sysbatch: one allocation per node (scheduler/scheduler_system.go), whatever the count
  const count = newJob.Type === 'system' || newJob.Type === 'sysbatch' ? s.nodes.length : Number(tg.Count ?? 1)
  const p: TgPlan = {
    name: tg.Name,
    change,
    place: 0,
    stop: 0,
    inplace: 0,
    destructive: 0,
    canary: 0,
    ignore: 0,
    stopAllocs: [],
    inplaceAllocs: [],
    destructiveAllocs: [],
    outdated: 0
  }
  const tgPresent = present.filter((a) => a.TaskGroup === tg.Name)
  if (runsToCompletion(newJob.Type) && change === 'none') {
    // completed batch allocs are not re-placed
    const done = [...s.allocs.values()].filter(
      (a) => a.Namespace === ns && a.JobID === newJob.ID && a.TaskGroup === tg.Name && a.ClientStatus === 'complete'
    ).length
    p.ignore = tgPresent.length
    p.place = Math.max(0, count - tgPresent.length - done)
    return p
  }
  const upd = taskGroupsUpdate(newJob, tg)
  const maxParallel = Number(upd.MaxParallel ?? 0)
  const hasUpdate = newJob.Type === 'service' && maxParallel > 0
  const versions: Job[] = s.findJob(ns, newJob.ID)?.versions ?? []
  const live = isActiveDeployment(dep) || dep?.Status === 'failed' ? dep : undefined
  const dstate: DeploymentState | undefined = live?.TaskGroups?.[tg.Name]
  const paused = live?.Status === 'paused'
  const failed = live?.Status === 'failed'
  const promoted = dstate?.Promoted === true
  const canaryIds = new Set<string>(dstate?.PlacedCanaries ?? [])
  const canaries = tgPresent.filter((a) => canaryIds.has(a.ID))
  let canarying = !!dstate && dstate.DesiredCanaries > 0 && !promoted
  let untainted = canarying ? tgPresent.filter((a) => !canaryIds.has(a.ID)) : tgPresent
  if (untainted.length > count) {
    // computeStop: after a promotion, first the old allocations that share a canary's name; then older versions
    const canaryNames = new Set(canaries.map((a) => a.Name))
    const rank = (a: Allocation) => (a.JobVersion === newJob.Version ? 2 : canaryNames.has(a.Name) && !canaryIds.has(a.ID) ? 0 : 1)
    p.stopAllocs = [...untainted].sort((x, y) => rank(x) - rank(y) || nameIndex(y) - nameIndex(x)).slice(0, untainted.length - count)
    untainted = untainted.filter((a) => !p.stopAllocs.includes(a))
  }
  const destructive: Allocation[] = []
  for (const a of untainted) {
    if (a.JobVersion === newJob.Version) {
      p.ignore++
      continue
    }
    const from = versions[a.JobVersion] ?? oldJob
    const c = from ? tgChange(from, newJob, tg.Name) : 'destructive'
    if (c === 'destructive' || c === 'new') destructive.push(a)
    else {
      // a new job version without a task change: the allocation moves to it in place (Nomad: JobModifyIndex differs)
      p.inplaceAllocs.push(a)
      if (c === 'inplace') p.inplace++
      else p.ignore++
    }
  }
  destructive.sort((x, y) => nameIndex(x) - nameIndex(y))
  if (hasUpdate && destructive.length > 0 && canaries.length < Number(upd.Canary ?? 0) && !promoted) {
    canarying = true
    if (!paused && !failed) p.canary = Number(upd.Canary) - canaries.length
  }
  let under: number
  if (!hasUpdate || destructive.length === 0) under = count
  else if (!live) under = maxParallel
  else if (paused || failed || canarying) under = 0
  else {
    under = maxParallel
    for (const a of present) {
      if (a.TaskGroup !== tg.Name || a.DeploymentID !== live.ID) continue
      if (a.DeploymentStatus?.Healthy === false) {
        under = 0
        break
      }
      if (a.DeploymentStatus?.Healthy !== true) under--
    }
    under = Math.max(0, under)
  }
  const missing = Math.max(0, count - untainted.length)
  if (!paused && !failed && !canarying) {
    p.place = missing
    under -= Math.min(missing, under)
    p.destructiveAllocs = destructive.slice(0, under)
  }
  p.ignore += destructive.length - p.destructiveAllocs.length
  p.destructive = p.destructiveAllocs.length
  p.stop = p.stopAllocs.length
  p.outdated = destructive.length + p.inplaceAllocs.length
  return p
}

/** What the scheduler would do (also used by plan). Does not mutate state. */
export function reconcile(s: State, ns: string, newJob: Job, oldJob: Job | undefined, isPlan: boolean, dep?: Deployment): TgPlan[] {
  const present = presentAllocs(s, ns, newJob)
  const plans: TgPlan[] = newJob.TaskGroups.map((tg) => reconcileGroup(s, ns, newJob, oldJob, tg, present, isPlan ? undefined : dep))
  // capacity simulation: free resources per node, plus those of the running allocs this pass stops or replaces
  const free = new Map(s.nodes.map((n) => [n.ID, { cpu: n.cpu - s.nodeUsage(n.ID).cpu, mem: n.memoryMB - s.nodeUsage(n.ID).mem }]))
  for (const p of plans)
    for (const a of [...p.stopAllocs, ...p.destructiveAllocs]) {
      const f = free.get(a.NodeID)
      if (!f || isTerminal(a)) continue
      f.cpu += a.AllocatedResources.Shared.cpu
      f.mem += a.AllocatedResources.Shared.mem
    }
  for (const p of plans) {
    const tg = newJob.TaskGroups.find((g) => g.Name === p.name)!
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
  }
  return plans
}
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
    if (!work) return processEval(s, ev.ID, prevSnapshot)
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
function cancelBlockedEvals(s: State, done: Evaluation, newBlocked?: Evaluation): void {
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
      processEval(s, ev.ID, rec.current)
    })
  }
}

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
  s.later(s.allocStartMs, () => startAlloc(s, a.ID, job, tg))
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
