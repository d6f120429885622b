/** Routes: `/v1/evaluation/:id` (with `?related=true`) and `/v1/evaluation/:id/allocations`. */
import { NomadApiError } from '../api-error.js'
import { blockingRoute, type Route } from '../http.js'
import type { Obj } from '../options.js'
import { stub } from './allocations.js'

/** api.EvaluationStub fields of a related evaluation. */
const RELATED_FIELDS = [
  'ID',
  'Namespace',
  'JobID',
  'Status',
  'StatusDescription',
  'NextEval',
  'PreviousEval',
  'BlockedEval',
  'DeploymentID',
  'TriggeredBy',
  'CreateIndex',
  'ModifyIndex'
]

export const routes: Route[] = [
  blockingRoute('/v1/evaluation/:id', 'read-job', (c) => {
    const id = c.params.id
    const ev = c.s.evals.get(id)
    if (!ev) throw new NomadApiError(404, 'eval not found')
    const body = { ...ev }
    if (c.q.get('related') === 'true')
      body.RelatedEvals = [...c.s.evals.values()]
        .filter((e) => e.ID !== id && e.JobID === ev.JobID && (e.PreviousEval === id || ev.PreviousEval === e.ID || ev.BlockedEval === e.ID))
        .map((e: Obj) => Object.fromEntries(RELATED_FIELDS.map((k) => [k, e[k]])))
    return { index: ev.ModifyIndex, body }
  }),
  blockingRoute('/v1/evaluation/:id/allocations', 'read-job', (c) => ({
    index: c.s.tables.allocs,
    body: [...c.s.allocs.values()].filter((a) => a.EvalID === c.params.id).map(stub)
  }))
]
