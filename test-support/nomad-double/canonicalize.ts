/**
 * The canonical form of a submitted job, as Nomad makes it before admission: the agent's api.Job.Canonicalize
 * (command/agent/job_endpoint.go `ApiJobToStructJob`; api/jobs.go, api/tasks.go) and the server's
 * structs.Job.Canonicalize and node-pool default (nomad/job_endpoint_hooks.go `jobCanonicalizer`,
 * nomad/job_endpoint_hook_node_pool_ce.go), for the fields the double models. Idempotent: a job the parse endpoint
 * canonicalised, or one that was stored, comes out unchanged, so plan and register compare like with like.
 */
import { canonicalVault, UPDATE_DEFAULTS } from './jobspec.js'
import type { Job, TaskGroup } from './model.js'
import { defaultReschedulePolicy, defaultRestartPolicy } from './policies.js'

/** api.TaskGroup.Canonicalize: count, update (merged over the job's), reschedule and restart policies. */
function canonicalGroup(job: Job, g: TaskGroup): void {
  g.Count ??= 1
  const jobUpdate = job.Update ?? (job.Type === 'service' ? UPDATE_DEFAULTS : null)
  if (jobUpdate || g.Update) g.Update = { ...UPDATE_DEFAULTS, ...(jobUpdate ?? {}), ...(g.Update ?? {}) }
  if (job.Type !== 'system' || job.Reschedule || g.ReschedulePolicy)
    g.ReschedulePolicy = { ...defaultReschedulePolicy(job.Type), ...(job.Reschedule ?? {}), ...(g.ReschedulePolicy ?? {}) }
  g.RestartPolicy = { ...defaultRestartPolicy(job.Type), ...(g.RestartPolicy ?? {}) }
  for (const t of g.Tasks ?? []) {
    t.Resources = { ...(t.Resources ?? {}), CPU: t.Resources?.CPU ?? 100, MemoryMB: t.Resources?.MemoryMB ?? 300 }
    t.KillTimeout ??= 5e9
    if (t.Vault) t.Vault = canonicalVault(t.Vault)
  }
}

/** Canonicalises `job` in place; the namespace and region are the request's (jobs-admission.ts). */
export function canonicalizeJob(job: Job, ns: string, region: string): void {
  job.Namespace = ns
  job.Region = region
  job.Type ??= 'service'
  job.Name ??= job.ID
  job.Priority ??= 50
  if (!job.Datacenters?.length) job.Datacenters = ['*']
  if (!job.NodePool) job.NodePool = 'default'
  for (const g of job.TaskGroups ?? []) canonicalGroup(job, g)
}
