/** Routes: `/v1/allocation/:id`; the allocation list-stub and full shapes used by every allocation list. */
import { NomadApiError } from '../api-error.js'
import type { Route } from '../http.js'
import type { Obj } from '../options.js'
import type { State } from '../state.js'

/** An allocation as list endpoints show it (api.AllocationListStub). */
export function stub(a: Obj): Obj {
  const { AllocatedResources, AllocModifyIndex, ...rest } = a
  void AllocatedResources, AllocModifyIndex
  return structuredClone(rest)
}

/** A single allocation (api.Allocation) with its job version. */
export function fullAlloc(s: State, a: Obj): Obj {
  const rec = s.findJob(a.Namespace, a.JobID)
  const { AllocatedResources, ...rest } = a
  void AllocatedResources
  return {
    ...structuredClone(rest),
    Job: rec?.versions[a.JobVersion] ?? null,
    AllocatedResources: { Shared: { DiskMB: 0 }, Tasks: {} }
  }
}

export const routes: Route[] = [
  {
    method: 'GET',
    path: '/v1/allocation/:id',
    handle(c) {
      c.acl('read-job')
      return c.blocking(() => {
        const a = c.s.allocs.get(c.params.id)
        if (!a) throw new NomadApiError(404, 'alloc not found')
        return { index: a.ModifyIndex, body: fullAlloc(c.s, a) }
      })
    }
  }
]
