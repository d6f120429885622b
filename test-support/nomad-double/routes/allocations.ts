/** Routes: `/v1/allocation/:id`; the allocation list-stub and full shapes used by every allocation list. */
import { NomadApiError } from '../api-error.js'
import { blockingRoute, type Route } from '../http.js'
import type { Obj } from '../options.js'
import type { State } from '../state.js'

/** structs.AllocListStub fields (nomad/structs/structs.go), in order; AllocatedResources only with `?resources=true`. */
const STUB_FIELDS = [
  'ID',
  'EvalID',
  'Name',
  'Namespace',
  'NodeID',
  'NodeName',
  'JobID',
  'JobType',
  'JobVersion',
  'TaskGroup',
  'DesiredStatus',
  'DesiredDescription',
  'ClientStatus',
  'ClientDescription',
  'DesiredTransition',
  'TaskStates',
  'DeploymentStatus',
  'FollowupEvalID',
  'NextAllocation',
  'RescheduleTracker',
  'PreemptedAllocations',
  'PreemptedByAllocation',
  'CreateIndex',
  'ModifyIndex',
  'CreateTime',
  'ModifyTime'
]

/** The double's subset of structs.Allocation fields: no JobType or JobVersion (those are list-stub only). */
const ALLOC_FIELDS = [
  'ID',
  'Namespace',
  'EvalID',
  'Name',
  'NodeID',
  'NodeName',
  'JobID',
  'TaskGroup',
  'DesiredStatus',
  'DesiredDescription',
  'DesiredTransition',
  'ClientStatus',
  'ClientDescription',
  'TaskStates',
  'DeploymentID',
  'DeploymentStatus',
  'FollowupEvalID',
  'PreviousAllocation',
  'NextAllocation',
  'RescheduleTracker',
  'PreemptedAllocations',
  'PreemptedByAllocation',
  'CreateIndex',
  'ModifyIndex',
  'AllocModifyIndex',
  'CreateTime',
  'ModifyTime'
]

const pick = (a: Obj, fields: string[]): Obj => structuredClone(Object.fromEntries(fields.map((f) => [f, a[f] ?? null])))

/** An allocation as list endpoints show it (structs.AllocListStub). */
export function stub(a: Obj): Obj {
  return pick(a, STUB_FIELDS)
}

/** A single allocation (structs.Allocation) with its job version and allocated resources per task. */
export function fullAlloc(s: State, a: Obj): Obj {
  const rec = s.findJob(a.Namespace, a.JobID)
  const job = rec?.versions[a.JobVersion] ?? null
  const tg = job?.TaskGroups?.find((g: Obj) => g.Name === a.TaskGroup)
  const Tasks: Obj = {}
  for (const t of tg?.Tasks ?? [])
    Tasks[t.Name] = {
      Cpu: { CpuShares: Number(t.Resources?.CPU ?? 100), ReservedCores: null },
      Memory: { MemoryMB: Number(t.Resources?.MemoryMB ?? 300), MemoryMaxMB: Number(t.Resources?.MemoryMaxMB ?? 0) },
      Networks: null,
      Devices: null
    }
  return { ...pick(a, ALLOC_FIELDS), Job: job, AllocatedResources: { Tasks, Shared: { DiskMB: 300, Networks: null, Ports: null } } }
}

export const routes: Route[] = [
  blockingRoute('/v1/allocation/:id', 'read-job', (c) => {
    const a = c.s.allocs.get(c.params.id)
    if (!a) throw new NomadApiError(404, 'alloc not found')
    return { index: a.ModifyIndex, body: fullAlloc(c.s, a) }
  })
]
