/**
 * Routes: `/v1/deployment/:id`, `/v1/deployment/allocations/:id`, and the deployment writes `nomad deployment` sends:
 * `promote`, `pause` (pause and resume), `fail`, `allocation-health`. The HTTP agent checks the body first (400
 * "DeploymentID must be specified", "Deployment ID does not match"; command/agent/deployment_endpoint.go); the RPC
 * then answers plain errors, so 500: "deployment not found", "can't <verb> terminal deployment"
 * (nomad/deployment_endpoint.go, nomad/structs/errors.go). A write answers a DeploymentUpdateResponse.
 */
import { NomadApiError } from '../api-error.js'
import { blockingRoute, type Route, type RouteContext } from '../http.js'
import { type Deployment, type Evaluation, type Json, stringList } from '../model.js'
import { failDeployment, pauseDeployment, promote, setAllocHealth } from '../deployments.js'
import { createEval } from '../evals.js'
import { isActiveDeployment } from '../reconcile.js'
import { stub } from './allocations.js'

/** The body of a deployment write, checked like command/agent/deployment_endpoint.go does. */
async function deploymentBody(c: RouteContext): Promise<Json> {
  const body = await c.body()
  if (!body.DeploymentID) throw new NomadApiError(400, 'DeploymentID must be specified')
  if (body.DeploymentID !== c.params.id) throw new NomadApiError(400, 'Deployment ID does not match')
  return body
}

/** The deployment a write acts on, active, else the RPC's plain error (500). */
function activeDeployment(c: RouteContext, terminal: string): Deployment {
  const d = c.s.deployments.get(c.params.id)
  if (!d) throw new NomadApiError(500, 'deployment not found')
  if (!isActiveDeployment(d)) throw new NomadApiError(500, terminal)
  return d
}

function updateResponse(d: Deployment, ev: Evaluation | undefined, reverted?: number): Json {
  return {
    EvalID: ev?.ID ?? '',
    EvalCreateIndex: ev?.CreateIndex ?? 0,
    DeploymentModifyIndex: d.ModifyIndex,
    RevertedJobVersion: reverted ?? null,
    Index: Math.max(d.ModifyIndex, ev?.CreateIndex ?? 0)
  }
}

/** The deployment watcher's evaluation for a deployment (deployment_watcher.go `getEval`). */
function watcherEval(c: RouteContext, d: Deployment): Evaluation {
  const job = c.s.findJob(d.Namespace, d.JobID)?.current
  if (!job) throw new NomadApiError(500, 'job not found')
  return createEval(c.s, d.Namespace, job, 'deployment-watcher', undefined, { DeploymentID: d.ID })
}

export const routes: Route[] = [
  {
    method: 'WRITE',
    path: '/v1/deployment/promote/:id',
    async handle(c) {
      c.acl('submit-job')
      const body = await deploymentBody(c)
      const d = activeDeployment(c, "can't promote terminal deployment")
      const tgs = Object.entries(d.TaskGroups).filter(([n, t]) => t.DesiredCanaries > 0 && (body.All || stringList(body.Groups).includes(n)))
      if (!tgs.length) throw new NomadApiError(500, 'no canaries to promote')
      for (const [n, t] of tgs) {
        const healthy = (t.PlacedCanaries ?? []).filter((aid) => c.s.allocs.get(aid)?.DeploymentStatus?.Healthy === true).length
        if (healthy < t.DesiredCanaries) throw new NomadApiError(500, `Task group "${n}" has ${healthy}/${t.DesiredCanaries} healthy allocations`)
      }
      const ev = promote(c.s, d, body.All ? undefined : stringList(body.Groups))
      c.send(200, updateResponse(d, ev))
    }
  },
  {
    // `nomad deployment pause|resume`: paused deployments place nothing more; resume creates an evaluation
    method: 'WRITE',
    path: '/v1/deployment/pause/:id',
    async handle(c) {
      c.acl('submit-job')
      const body = await deploymentBody(c)
      const pause = body.Pause === true
      const d = activeDeployment(c, pause ? "can't pause terminal deployment" : "can't resume terminal deployment")
      pauseDeployment(c.s, d, pause)
      c.send(200, updateResponse(d, pause ? undefined : watcherEval(c, d)))
    }
  },
  {
    // `nomad deployment fail`: the ID comes from the path only
    method: 'WRITE',
    path: '/v1/deployment/fail/:id',
    handle(c) {
      c.acl('submit-job')
      const d = activeDeployment(c, "can't fail terminal deployment")
      const reverted = failDeployment(c.s, d, 'Deployment marked as failed')
      c.send(200, updateResponse(d, watcherEval(c, d), reverted))
    }
  },
  {
    // `nomad deployment allocation-health` (manual health checks): every ID is checked before anything changes
    method: 'WRITE',
    path: '/v1/deployment/allocation-health/:id',
    async handle(c) {
      c.acl('submit-job')
      const body = await deploymentBody(c)
      const healthy = stringList(body.HealthyAllocationIDs)
      const unhealthy = stringList(body.UnhealthyAllocationIDs)
      if (healthy.length + unhealthy.length === 0) throw new NomadApiError(500, 'must specify at least one healthy/unhealthy allocation ID')
      const d = activeDeployment(c, "can't set health of allocations for a terminal deployment")
      const allocs = [...healthy, ...unhealthy].map((id) => {
        const a = c.s.allocs.get(id)
        if (!a) throw new NomadApiError(500, `unknown alloc "${id}"`)
        if (a.DeploymentID !== d.ID) throw new NomadApiError(500, `alloc "${id}" is not part of deployment "${d.ID}"`)
        return a
      })
      allocs.forEach((a, i) => setAllocHealth(c.s, a, i < healthy.length, true))
      let reverted: number | undefined
      if (unhealthy.length) {
        // auto_revert when a group of an unhealthy allocation has it; no "no stable job version" suffix here
        const revert = allocs.slice(healthy.length).some((a) => d.TaskGroups[a.TaskGroup]?.AutoRevert === true)
        reverted = failDeployment(c.s, d, 'Failed due to unhealthy allocations', { autoRevert: revert, noTargetSuffix: false })
      }
      c.send(200, updateResponse(d, watcherEval(c, d), reverted))
    }
  },
  blockingRoute('/v1/deployment/allocations/:id', 'read-job', (c) => ({
    index: c.s.tables.allocs,
    body: [...c.s.allocs.values()].filter((a) => a.DeploymentID === c.params.id).map(stub)
  })),
  blockingRoute('/v1/deployment/:id', 'read-job', (c) => {
    const d = c.s.deployments.get(c.params.id)
    if (!d) throw new NomadApiError(404, 'deployment not found')
    return { index: d.ModifyIndex, body: d }
  })
]
