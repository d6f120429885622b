/**
 * The Nomad test double's job admission: server-side canonicalisation and the implicit Vault identity,
 * validation, registration (versions, JobModifyIndex, EnforceIndex, submissions) and the plan endpoint's answer.
 */
import { NomadApiError } from './api-error.js'
import { parseDurationNs } from './duration.js'
import { canonicalizeJob } from './canonicalize.js'
import { asString, isJson, type Job, type JobSubmission, type Json } from './model.js'
import { jobKey, nowNs, type State } from './state.js'
import { jobDiff, specOf } from './diff.js'
import { createEval } from './evals.js'
import { reconcile } from './reconcile.js'
import { checkSubmission, formatWarnings, validateJob } from './validate.js'

/**
 * Where a submitted job goes (command/agent/job_endpoint.go `regionForJob`): the request's region is `?region=`,
 * else the body's, else the job's; "" or "global" mean the agent's own. The job keeps that region, except a
 * multiregion job, which keeps "global" and is sent to the first of its regions when the request's is not one of them.
 */
export function regionForJob(s: State, job: Json, queryRegion = '', bodyRegion = ''): { request: string; job: string } {
  let request = queryRegion || bodyRegion || asString(job.Region) || ''
  if (request === '' || request === 'global') request = s.region
  if (!isJson(job.Multiregion)) return { request, job: request }
  const regions = Array.isArray(job.Multiregion.Regions) ? (job.Multiregion.Regions as Json[]) : []
  if (regions.length && !regions.some((r) => r.Name === request)) request = asString(regions[0].Name) ?? request
  return { request, job: 'global' }
}

/**
 * Job admission, the one path of plan and register (nomad/job_endpoint.go `Plan` and `Register` both call
 * `admissionControllers`): the canonical form (canonicalize.ts), the implicit identities
 * (nomad/job_endpoint_hook_implicit_identities.go), then the validators (validate.ts: namespace, node pool,
 * multiregion license, Vault). Throws 500 when a validator fails.
 */
export function admit(s: State, ns: string, jobIn: Json, region?: string): { job: Job; warnings: string[] } {
  // the client's api.Job: trusted in shape (the action and the tests send what the parse endpoint returned)
  const job = structuredClone(jobIn) as Job
  canonicalizeJob(job, ns, region ?? regionForJob(s, jobIn).job)
  for (const g of job.TaskGroups ?? []) {
    for (const t of g.Tasks ?? []) {
      if (!t.Vault) continue
      const name = `vault_${t.Vault.Cluster || 'default'}`
      t.Identities ??= []
      const existing = t.Identities.find((i) => i.Name === name)
      const def = s.serverVault.default_identity
      if (!existing && def) {
        t.Identities.push({
          Name: name,
          Audience: [...def.aud],
          ChangeMode: '',
          ChangeSignal: '',
          Env: false,
          File: false,
          Filepath: '',
          ServiceName: '',
          TTL: def.ttl ? parseDurationNs(def.ttl) : 0
        })
      }
    }
    for (const t of g.Tasks ?? []) if (t.Identities && t.Identities.length === 0) t.Identities = null
  }
  return { job, warnings: validateJob(s, job) }
}

interface RegisterResult {
  EvalID: string
  EvalCreateIndex: number
  JobModifyIndex: number
  Warnings: string
  Index: number
}

export function register(
  s: State,
  ns: string,
  jobIn: Json,
  o: {
    enforceIndex?: boolean
    jobModifyIndex?: number
    preserveCounts?: boolean
    submission?: JobSubmission
    triggeredBy?: string
    region?: string
  }
): RegisterResult {
  const { job, warnings } = admit(s, ns, jobIn, o.region)
  const rec = s.findJob(ns, job.ID)
  const existing = rec?.current
  if (o.enforceIndex) {
    const want = o.jobModifyIndex ?? 0
    if (want === 0 && existing) throw new NomadApiError(500, `Enforcing job modify index 0: job already exists`)
    if (want !== 0 && !existing) throw new NomadApiError(500, `Enforcing job modify index ${want}: job does not exist`)
    if (existing && existing.JobModifyIndex !== want)
      throw new NomadApiError(500, `Enforcing job modify index ${want}: job exists with conflicting job modify index: ${existing.JobModifyIndex}`)
  }
  if (o.preserveCounts && existing)
    for (const g of job.TaskGroups) {
      const og = existing.TaskGroups.find((x) => x.Name === g.Name)
      if (og) g.Count = og.Count
    }
  const submission = checkSubmission(o.submission)
  if (submission.warning) warnings.push(submission.warning)
  const idx = s.bump('jobs')
  const changed = !existing || specOf(existing) !== specOf(job) || existing.Stop
  job.CreateIndex = existing?.CreateIndex ?? idx
  job.ModifyIndex = idx
  job.JobModifyIndex = changed ? idx : existing!.JobModifyIndex
  job.Version = existing ? (changed ? rec!.versions.length : existing.Version) : 0
  job.SubmitTime = nowNs()
  job.Stable = changed ? false : existing!.Stable
  job.Stop = false
  const periodicOrParam = Boolean(job.Periodic || job.ParameterizedJob)
  job.Status = periodicOrParam ? 'running' : existing && !changed ? existing.Status : 'pending'
  job.StatusDescription = ''
  let r = rec
  if (!r) {
    r = { namespace: ns, id: job.ID, versions: [], submissions: new Map(), current: job }
    s.jobs.set(jobKey(ns, job.ID), r)
  }
  if (changed) r.versions.push(job)
  else r.versions[job.Version] = job
  r.current = job
  if (o.submission && submission.keep) {
    r.submissions.set(job.Version, { ...o.submission, JobID: job.ID, Namespace: ns, Version: job.Version, JobModifyIndex: job.JobModifyIndex })
    const keep = [...r.submissions.keys()].sort((a, b) => b - a).slice(0, 6)
    for (const k of [...r.submissions.keys()]) if (!keep.includes(k)) r.submissions.delete(k)
  }
  if (periodicOrParam) {
    return { EvalID: '', EvalCreateIndex: 0, JobModifyIndex: job.JobModifyIndex, Warnings: formatWarnings(warnings), Index: idx }
  }
  const ev = createEval(s, ns, job, o.triggeredBy ?? 'job-register', existing)
  return {
    EvalID: ev.ID,
    EvalCreateIndex: ev.CreateIndex,
    JobModifyIndex: job.JobModifyIndex,
    Warnings: formatWarnings(warnings),
    Index: ev.CreateIndex
  }
}

export function planJob(s: State, ns: string, job: Json, wantDiff: boolean, region?: string): Json {
  const { job: j, warnings } = admit(s, ns, job, region)
  const rec = s.findJob(ns, j.ID)
  const old = rec?.current
  if (old) j.Version = old.Version + 1
  const plans = reconcile(s, ns, j, old, true)
  const DesiredTGUpdates: Json = {}
  const FailedTGAllocs: Json = {}
  for (const p of plans) {
    DesiredTGUpdates[p.name] = {
      // a destructive update counts only as DestructiveUpdate, not also as Place and Stop (scheduler/reconcile.go
      // `computeDestructiveUpdates`)
      Ignore: p.ignore,
      Place: p.place,
      Migrate: 0,
      Stop: p.stop,
      InPlaceUpdate: p.inplace,
      DestructiveUpdate: p.destructive,
      Canary: p.canary,
      Preemptions: 0,
      Disconnect: 0,
      Reconnect: 0,
      RescheduleNow: 0,
      RescheduleLater: 0
    }
    if (p.failed) FailedTGAllocs[p.name] = p.failed
  }
  return {
    JobModifyIndex: old?.JobModifyIndex ?? 0,
    CreatedEvals: null,
    Diff: wantDiff ? jobDiff(old, j, plans) : null,
    Annotations: { DesiredTGUpdates, PreemptedAllocs: null },
    FailedTGAllocs: Object.keys(FailedTGAllocs).length ? FailedTGAllocs : null,
    NextPeriodicLaunch: '0001-01-01T00:00:00Z',
    Warnings: formatWarnings(warnings)
  }
}
