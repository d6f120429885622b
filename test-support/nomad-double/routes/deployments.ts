/** Routes: `/v1/deployment/:id`, `/v1/deployment/allocations/:id`, `/v1/deployment/promote/:id`, `/v1/deployment/fail/:id`. */
import { NomadApiError } from '../api-error.js'
import type { Route } from '../http.js'
import type { Obj } from '../options.js'
import { failDeployment, promote } from '../deployments.js'
import { stub } from './allocations.js'

export const routes: Route[] = [
  {
    method: 'WRITE',
    path: '/v1/deployment/promote/:id',
    async handle(c) {
      c.acl('submit-job')
      const body = await c.body()
      const id = c.params.id
      if (!body.DeploymentID) throw new NomadApiError(400, 'DeploymentID must be specified')
      if (body.DeploymentID !== id) throw new NomadApiError(400, 'Deployment ID does not match')
      const d = c.s.deployments.get(id)
      if (!d) throw new NomadApiError(404, 'deployment not found')
      if (d.Status !== 'running') throw new NomadApiError(500, `can't promote terminal deployment`)
      const tgs = Object.entries(d.TaskGroups as Obj).filter(([n, t]) => t.DesiredCanaries > 0 && (body.All || (body.Groups ?? []).includes(n)))
      if (!tgs.length) throw new NomadApiError(500, 'no canaries to promote')
      for (const [n, t] of tgs) {
        const healthy = (t.PlacedCanaries ?? []).filter((aid: string) => c.s.allocs.get(aid)?.DeploymentStatus?.Healthy === true).length
        if (healthy < t.DesiredCanaries) throw new NomadApiError(500, `Task group "${n}" has ${healthy}/${t.DesiredCanaries} healthy allocations`)
      }
      const ev = promote(c.s, d, body.All ? undefined : body.Groups)
      c.send(200, { EvalID: ev.ID, EvalCreateIndex: ev.CreateIndex, DeploymentModifyIndex: d.ModifyIndex, Index: d.ModifyIndex })
    }
  },
  {
    method: 'WRITE',
    path: '/v1/deployment/fail/:id',
    handle(c) {
      c.acl('submit-job')
      const d = c.s.deployments.get(c.params.id)
      if (!d) throw new NomadApiError(404, 'deployment not found')
      failDeployment(c.s, d, 'Deployment marked as failed')
      c.send(200, { EvalID: '', EvalCreateIndex: 0, DeploymentModifyIndex: d.ModifyIndex, Index: d.ModifyIndex })
    }
  },
  {
    method: 'GET',
    path: '/v1/deployment/allocations/:id',
    handle(c) {
      c.acl('read-job')
      return c.blocking(() => ({ index: c.s.tables.allocs, body: [...c.s.allocs.values()].filter((a) => a.DeploymentID === c.params.id).map(stub) }))
    }
  },
  {
    method: 'GET',
    path: '/v1/deployment/:id',
    handle(c) {
      c.acl('read-job')
      return c.blocking(() => {
        const d = c.s.deployments.get(c.params.id)
        if (!d) throw new NomadApiError(404, 'deployment not found')
        return { index: d.ModifyIndex, body: d }
      })
    }
  }
]
