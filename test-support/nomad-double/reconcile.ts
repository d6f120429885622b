/**
 * What the Nomad test double's scheduler would do, without doing it (the plan endpoint asks the same): how each task
 * group changes (create, ignore, in-place, destructive, canary), which allocations are present, and whether the
 * placements fit the nodes (first-fit on CPU and memory). Pure: reads the state, changes nothing.
 */
import { UPDATE_DEFAULTS } from './jobspec.js'
import {
  runsToCompletion,
  type Allocation,
  type Deployment,
  type DeploymentState,
  type Job,
  type Json,
  type Task,
  type TaskGroup,
  type UpdateStrategy
} from './model.js'
import { isTerminal, type State } from './state.js'
import { stableStringify } from './diff.js'

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

export const nameIndex = (a: Allocation): number => Number(/\[(\d+)\]$/.exec(String(a.Name))?.[1] ?? 0)
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
