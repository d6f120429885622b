/**
 * Routes: `/v1/jobs` (list, register), `/v1/jobs/parse`, `/v1/job/:id` (read, register, stop/purge) and the
 * job's plan, submission, allocations, evaluations, deployment(s) and versions.
 */
import { NomadApiError } from '../api-error.js'
import { blockingRoute, type Route, type RouteContext } from '../http.js'
import { parseJobHCL, variablesDocsUrl } from '../jobspec.js'
import { DEFAULT_NS, jobKey } from '../state.js'
import { planJob, regionForJob, register } from '../jobs-admission.js'
import { createEval } from '../evals.js'
import { stopAlloc } from '../task-events.js'
import { stub } from './allocations.js'
import { isJson, type JobSubmission, type Json, asString } from '../model.js'

/**
 * The submitted job of a plan or register request and where it goes (command/agent/job_endpoint.go
 * `apiJobAndRequestToStructs`): the namespace is `?namespace=`, else the body's, else the job's, else "default"; the
 * region as in `regionForJob`. A request for another region has no path there.
 */
async function submitted(
  c: RouteContext,
  texts: { missingId: string; mismatch: string },
  pathId: string | null
): Promise<{ body: Json; job: Json; ns: string; region: string }> {
  const body = await c.body()
  const job = isJson(body.Job) ? body.Job : undefined
  if (!job) throw new NomadApiError(400, 'Job must be specified')
  if (!job.ID) throw new NomadApiError(400, texts.missingId)
  if (pathId !== null && job.ID !== pathId) throw new NomadApiError(400, texts.mismatch)
  const region = regionForJob(c.s, job, c.q.get('region') ?? '', asString(body.Region) ?? '')
  if (region.request !== c.s.region) throw new NomadApiError(500, 'No path to region')
  const ns = c.q.get('namespace') || asString(body.Namespace) || asString(job.Namespace) || DEFAULT_NS
  return { body, job, ns, region: region.job }
}

async function registerHttp(c: RouteContext, pathId: string | null): Promise<void> {
  c.acl('submit-job')
  const { body, job, ns, region } = await submitted(c, { missingId: "Job ID hasn't been provided", mismatch: 'Job ID does not match name' }, pathId)
  const r = register(c.s, ns, job, {
    enforceIndex: Boolean(body.EnforceIndex),
    jobModifyIndex: Number(body.JobModifyIndex ?? 0),
    preserveCounts: Boolean(body.PreserveCounts),
    submission: isJson(body.Submission) ? (body.Submission as JobSubmission) : undefined,
    region
  })
  c.send(200, { ...r, LastContact: 0, KnownLeader: false }, { 'X-Nomad-Index': String(r.Index) })
}

export const routes: Route[] = [
  {
    method: 'WRITE',
    path: '/v1/jobs/parse',
    anyRegion: true, // parsed on the contacted agent (command/agent/job_endpoint.go JobsParseRequest)
    async handle(c) {
      c.acl('parse-job')
      c.send(200, await parseJobHCL(await c.body(), { variablesDocsUrl: variablesDocsUrl(c.s.atLeast('1.11.0')) }))
    }
  },
  blockingRoute('/v1/jobs', 'list-jobs', (c) => ({
    index: c.s.tables.jobs,
    body: [...c.s.jobs.values()]
      .filter((r) => c.ns === '*' || r.namespace === c.ns)
      .map((r) => ({
        ID: r.current.ID,
        ParentID: '',
        Name: r.current.Name,
        Namespace: r.namespace,
        Datacenters: r.current.Datacenters,
        Type: r.current.Type,
        Priority: r.current.Priority,
        Periodic: Boolean(r.current.Periodic),
        ParameterizedJob: Boolean(r.current.ParameterizedJob),
        Stop: r.current.Stop,
        Status: r.current.Status,
        StatusDescription: '',
        JobSummary: null,
        CreateIndex: r.current.CreateIndex,
        ModifyIndex: r.current.ModifyIndex,
        JobModifyIndex: r.current.JobModifyIndex,
        SubmitTime: r.current.SubmitTime
      }))
  })),
  { method: 'WRITE', path: '/v1/jobs', handle: (c) => registerHttp(c, null) },
  {
    method: 'WRITE',
    path: '/v1/job/:id/plan',
    async handle(c) {
      c.acl('submit-job')
      const id = c.params.id
      const { body, ns: jobNs, job, region } = await submitted(c, { missingId: 'Job must have a valid ID', mismatch: 'Job ID does not match' }, id)
      const planned = planJob(c.s, jobNs, job, Boolean(body.Diff), region)
      // test hook: runs after the plan is computed, before the response (e.g. a concurrent `nomad job run`)
      c.s.opts.onPlan?.(id, jobNs)
      c.send(200, planned)
    }
  },
  {
    method: 'GET',
    path: '/v1/job/:id/submission',
    handle(c) {
      c.acl('read-job')
      const rec = c.s.jobRec(c.ns, c.params.id)
      const v = c.q.has('version') ? Number(c.q.get('version')) : rec.current.Version
      return c.blocking(() => {
        const sub = rec.submissions.get(v)
        if (!sub) throw new NomadApiError(404, 'job source not found')
        return { index: c.s.tables.jobs, body: sub }
      })
    }
  },
  blockingRoute('/v1/job/:id/allocations', 'read-job', (c) => {
    const id = c.params.id
    const all = c.q.get('all') === 'true'
    const rec = c.s.findJob(c.ns, id)
    const list = [...c.s.allocs.values()]
      .filter((a) => a.Namespace === c.ns && a.JobID === id)
      .filter((a) => all || !rec || a.JobVersion <= rec.current.Version)
      .sort((x, y) => y.CreateIndex - x.CreateIndex)
      .map(stub)
    return { index: c.s.tables.allocs, body: list }
  }),
  blockingRoute('/v1/job/:id/evaluations', 'read-job', (c) => ({
    index: c.s.tables.evals,
    body: [...c.s.evals.values()].filter((e) => e.Namespace === c.ns && e.JobID === c.params.id).sort((x, y) => y.CreateIndex - x.CreateIndex)
  })),
  ...(['deployment', 'deployments'] as const).map(
    (which): Route =>
      blockingRoute(`/v1/job/:id/${which}`, 'read-job', (c) => {
        const list = [...c.s.deployments.values()]
          .filter((d) => d.Namespace === c.ns && d.JobID === c.params.id)
          .sort((x, y) => y.CreateIndex - x.CreateIndex)
        return { index: c.s.tables.deployments, body: which === 'deployment' ? (list[0] ?? null) : list }
      })
  ),
  blockingRoute('/v1/job/:id/versions', 'read-job', (c) => {
    const rec = c.s.jobRec(c.ns, c.params.id)
    return { index: c.s.tables.jobs, body: { Versions: [...rec.versions].reverse(), Diffs: null } }
  }),
  blockingRoute('/v1/job/:id', 'read-job', (c) => {
    const rec = c.s.jobRec(c.ns, c.params.id)
    return { index: rec.current.ModifyIndex, body: rec.current }
  }),
  { method: 'WRITE', path: '/v1/job/:id', handle: (c) => registerHttp(c, c.params.id) },
  {
    method: 'DELETE',
    path: '/v1/job/:id',
    handle(c) {
      c.acl('submit-job')
      const { s, ns } = c
      const id = c.params.id
      const rec = s.jobRec(ns, id)
      const idx = s.bump('jobs')
      rec.current.Stop = true
      rec.current.ModifyIndex = idx
      rec.current.Status = 'dead'
      for (const a of s.liveAllocs(ns, id)) stopAlloc(s, a, 'alloc is being stopped because the job was stopped')
      for (const d of s.deployments.values())
        if (d.JobID === id && d.Namespace === ns && d.Status === 'running') {
          d.Status = 'cancelled'
          d.StatusDescription = 'Cancelled because job is stopped'
          s.cancel(s.progressTimers.get(d.ID))
          s.touchDeployment(d)
        }
      if (c.q.get('purge') === 'true') s.jobs.delete(jobKey(ns, id))
      const ev = createEval(s, ns, rec.current, 'job-deregister', undefined)
      ev.Status = 'complete'
      c.send(200, { EvalID: ev.ID, EvalCreateIndex: ev.CreateIndex, JobModifyIndex: rec.current.JobModifyIndex, Index: ev.CreateIndex })
    }
  }
]
