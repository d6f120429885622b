/**
 * Deploy the `job` input's files: load + parse (in parallel) while reading the agent configuration, then for
 * every job, at most `max-parallel` at a time: inject Vault blocks and release meta, plan, register with
 * check-and-set against the plan's JobModifyIndex (or nothing when the plan shows no change), and follow it to a
 * verdict. Results come back in input order; one job's failure does not stop the others (the caller decides the
 * step's result, see verdictFails in monitor.ts).
 */
import * as core from '@actions/core'
import type { Config } from '../config.js'
import { ActionError, errorMessage } from '../errors.js'
import { NomadClient, type NomadClientOptions } from './client.js'
import { evaluateCluster, readAgentSelf, type AgentSelfResult } from './cluster-check.js'
import type { VaultDiagContext } from './diagnose.js'
import { injectMeta, injectVault, tasksRelyingOnDefaultIdentity, vaultTasks, type ApiJob } from './inject.js'
import { vaultForJob, type JobRole } from './job-role.js'
import { loadJob, type LoadedJob } from './jobfile.js'
import { resolveJobFiles } from './job-paths.js'
import { followJob } from './monitor.js'
import { planJob, type PlanSummary } from './plan.js'
import { registerJob } from './register.js'
import { buildVariables, checkVariableNames } from './variables.js'
import { newJobResult, type JobResult } from './result.js'
import { JobLogGroups } from './job-logs.js'

export type { JobResult } from './result.js'

export interface DeployVaultContext {
  role: string
  audience: string
  authPath: string
  policies: string[]
  boundAudiences: string[]
  kvMount?: string
  boundClaims?: Record<string, string | string[]>
  /** The clients' create_from_role (the role of tasks whose vault block names none); default: `role`. */
  defaultRole?: string
  /** The declared roles (the roles input); absent or one: every job gets `role`. */
  roles?: JobRole[]
}

export interface DeployOptions {
  /** Test hooks: client options (onRequest, timeouts). */
  client?: NomadClientOptions
}

/** Jobs resolved, read and parsed, and the agent configuration read: everything checked before the first write. */
export interface PreparedJobs {
  client: NomadClient
  jobs: LoadedJob[]
  self: AgentSelfResult
}

/** What every job of one run shares. */
export interface DeployRun {
  client: NomadClient
  cfg: Config
  vault: DeployVaultContext
  /** The agent vault blocks the action rendered. */
  rendered: { server: string; client: string }
  /** Release metadata for Job.Meta (empty with meta: false). */
  meta: Record<string, string>
  /** The agent configuration, read once. */
  self: AgentSelfResult
  log: RunLog
  /** Every job's result as soon as its deploy starts (filled in as it goes): what a cancelled run reports. */
  started?: JobResult[]
}

/** Log state shared by the jobs of a run: each warning is annotated once, the cluster notes are shown once. */
export class RunLog {
  private readonly warned = new Set<string>()
  private clusterNotesShown = false

  warning(message: string): void {
    if (this.warned.has(message)) return
    this.warned.add(message)
    core.warning(message)
  }

  /** True for the first job that checks the cluster: it logs the notes, the others stay quiet. */
  firstClusterCheck(): boolean {
    const first = !this.clusterNotesShown
    this.clusterNotesShown = true
    return first
  }
}

/**
 * Resolves the `job` input, reads and parses every file (HCL2 through Nomad's parse API, in parallel) and reads
 * the agent configuration. Nothing is written. Any file that cannot be loaded fails the run here, with an
 * annotation on the user's file, before Vault or Nomad is changed.
 */
export async function prepareJobs(cfg: Config, options: DeployOptions = {}): Promise<PreparedJobs> {
  const client = new NomadClient(cfg.nomad, options.client)
  const files = await resolveJobFiles(cfg.job.files)
  const agentSelf: Promise<AgentSelfResult> = readAgentSelf(client)
  const variables = buildVariables(cfg.job)
  const settled = await Promise.allSettled(
    files.map((file) => variables.then((vars) => loadJob(file, cfg.job, client, { variables: vars, namespace: cfg.nomad.namespace || undefined })))
  )
  const self = await agentSelf
  const failed = settled.flatMap((s) => (s.status === 'rejected' ? [s.reason as unknown] : []))
  if (failed.length === 1) throw failed[0]
  if (failed.length > 1) {
    for (const err of failed) {
      const a = err instanceof ActionError ? err.annotation : undefined
      core.error(errorMessage(err), a ? { file: a.file, startLine: a.startLine, startColumn: a.startColumn } : undefined)
    }
    throw new ActionError(`${failed.length} of ${files.length} job files could not be loaded (see the errors above); nothing was changed.`)
  }
  const jobs = settled.map((s) => (s as PromiseFulfilledResult<LoadedJob>).value)
  checkVariableNames(await variables, jobs)
  return { client, jobs, self }
}

/**
 * Deploys every prepared job, at most cfg.job.maxParallel at a time, and returns the results in input order.
 * Every job has its own log group. One at a time, the group is written as the job goes; several at once, each
 * job's lines are kept apart and its group is printed when it ends (job-logs.ts), so they never interleave.
 * The outputs and the summary keep the input order. `signal` (cancellation): the groups of the jobs still running
 * are printed at once, so that their lines so far are not lost.
 */
export async function deployJobs(
  prepared: PreparedJobs,
  cfg: Config,
  vault: DeployVaultContext,
  rendered: { server: string; client: string },
  meta: Record<string, string>,
  started?: JobResult[],
  signal?: AbortSignal
): Promise<JobResult[]> {
  const run: DeployRun = {
    client: prepared.client,
    cfg,
    vault,
    rendered,
    meta: cfg.job.meta ? meta : {},
    self: prepared.self,
    log: new RunLog(),
    started
  }
  const limit = Math.max(1, cfg.job.maxParallel)
  const label = (loaded: LoadedJob) => `Nomad job "${String(loaded.job.ID)}" (${loaded.file})`
  if (limit === 1 || prepared.jobs.length === 1) {
    return mapLimit(prepared.jobs, 1, async (loaded) => {
      core.startGroup(label(loaded))
      try {
        return await deployOne(run, loaded)
      } finally {
        core.endGroup()
      }
    })
  }
  const groups = new JobLogGroups()
  const onCancel = () => groups.flushRunning('still running when the run was cancelled; its lines so far')
  signal?.addEventListener('abort', onCancel, { once: true })
  try {
    return await mapLimit(prepared.jobs, limit, async (loaded) => {
      core.info(`${label(loaded)}: started`)
      return groups.run(label(loaded), () => deployOne(run, loaded))
    })
  } finally {
    signal?.removeEventListener('abort', onCancel)
  }
}

/** Runs fn over items with at most `limit` in flight; results in input order. fn must not throw. */
export async function mapLimit<T, R>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<R>): Promise<R[]> {
  const results = new Array<R>(items.length)
  let next = 0
  const worker = async () => {
    for (let i = next++; i < items.length; i = next++) results[i] = await fn(items[i], i)
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker))
  return results
}

async function deployOne(run: DeployRun, loaded: LoadedJob): Promise<JobResult> {
  const { client, cfg, rendered, log } = run
  const file = loaded.file
  let job: ApiJob = loaded.job
  const jobId = String(job.ID)
  const namespace = cfg.nomad.namespace || String(job.Namespace || '') || 'default'
  const region = cfg.nomad.region || (job.Region && job.Region !== 'global' ? String(job.Region) : '')
  const result = newJobResult(file, jobId, namespace)
  run.started?.push(result)
  const warn = (w: string) => {
    result.warnings.push(w)
    log.warning(w)
  }
  try {
    for (const w of loaded.warnings) warn(w)
    if (cfg.nomad.namespace && job.Namespace && job.Namespace !== cfg.nomad.namespace && job.Namespace !== 'default') {
      warn(
        `Job "${jobId}" (${file}) sets namespace "${job.Namespace}", but the nomad-namespace input is "${cfg.nomad.namespace}": deploying to "${cfg.nomad.namespace}".`
      )
    }
    if (cfg.nomad.namespace) job = { ...job, Namespace: cfg.nomad.namespace }

    const many = (run.vault.roles?.length ?? 0) > 1
    const vault = vaultForJob(run.vault, namespace, jobId, cfg.job.injectVault !== 'none')
    if (cfg.job.injectVault !== 'none') {
      const r = injectVault(job, cfg.job.injectVault, vault.role, { fillEmptyRole: many })
      job = r.job
      result.injectedTasks = r.injectedTasks
      if (r.injectedTasks.length)
        core.info(`Vault role "${vault.role}" set on task(s) of job "${jobId}": ${r.injectedTasks.join(', ')} (inject-vault: ${cfg.job.injectVault})`)
    }
    // The role(s) the job's tasks log in with ('' in a task: the clients' create_from_role, the default role).
    result.role = [...new Set(vaultTasks(job).map((t) => t.role || run.vault.defaultRole || run.vault.role))].join(',')
    if (many && result.role) core.info(`Job "${jobId}" (namespace "${namespace}") logs in to Vault with role "${result.role}".`)
    if (Object.keys(run.meta).length) {
      job = injectMeta(job, run.meta)
      result.meta = { ...run.meta }
    }

    // Cluster check for this job (the agent configuration was read once).
    const needsDefault = tasksRelyingOnDefaultIdentity(job)
    const check = evaluateCluster(
      run.self,
      { audience: vault.audience, authPath: vault.authPath, role: run.vault.defaultRole ?? vault.role },
      needsDefault.length > 0,
      { renderedServerBlock: rendered.server, renderedClientBlock: rendered.client },
      { quiet: !log.firstClusterCheck() }
    )
    for (const w of check.warnings) warn(needsDefault.length && /never get a Vault token/.test(w) ? `${w}\nTasks: ${needsDefault.join(', ')}` : w)

    // Plan.
    const query = { namespace, region: region || undefined }
    result.plan = await planJob(client, job, {
      policyOverride: cfg.job.policyOverride,
      refusal: { file, audience: vault.audience, renderedServerBlock: rendered.server },
      ...query
    })
    for (const w of result.plan.warnings) warn(`Nomad plan for job "${jobId}" (${file}): ${w}`)
    logPlan(jobId, result.plan)
    for (const g of result.plan.groups) if (g.placementFailures) warn(`Nomad plan for job "${jobId}": ${g.placementFailures}`)

    if (cfg.dryRun) {
      result.verdict = 'planned'
      result.reason = `Dry run: job "${jobId}" planned (${result.plan.diffType || 'no diff'}), not registered.`
      return result
    }
    if (result.plan.diffType === 'None') return await unchanged(client, result, query)

    // Register with check-and-set against what was planned.
    const reg = await registerJob(client, job, loaded.submission, {
      enforceIndex: true,
      jobModifyIndex: result.plan.jobModifyIndex,
      preserveCounts: cfg.job.preserveCounts,
      policyOverride: cfg.job.policyOverride,
      renderedServerBlock: rendered.server,
      file,
      shownWarnings: result.plan.warnings,
      ...query
    })
    result.warnings.push(...reg.warnings.filter((w) => !result.plan.warnings.includes(w)))
    result.evalId = reg.evalId
    result.jobModifyIndex = reg.jobModifyIndex
    core.info(`Registered job "${jobId}" in namespace "${namespace}"${reg.evalId ? `, evaluation ${reg.evalId}` : ''}`)

    // Read the job back for its version and type.
    const { body: stored } = await client.get<ApiJob>(`/v1/job/${encodeURIComponent(jobId)}`, { query })
    if (typeof stored?.Version === 'number') result.jobVersion = stored.Version
    if (typeof stored?.JobModifyIndex === 'number') result.jobModifyIndex = stored.JobModifyIndex
    const src = stored ?? job

    const diag: VaultDiagContext = {
      audience: vault.audience,
      boundAudiences: vault.boundAudiences,
      authPath: vault.authPath,
      role: vault.role,
      policies: vault.policies,
      kvMount: vault.kvMount,
      boundClaims: vault.boundClaims,
      namespace,
      jobId
    }
    const verdict = await followJob(client, {
      jobId,
      ...query,
      evalId: reg.evalId,
      wait: cfg.job.wait,
      timeoutMs: cfg.job.timeoutMs,
      autoPromote: cfg.job.autoPromote,
      jobType: String(src.Type || 'service'),
      periodic: !!src.Periodic && src.Periodic.Enabled !== false,
      parameterized: !!src.ParameterizedJob,
      multiregion: !!src.Multiregion,
      jobVersion: result.jobVersion,
      groupCounts: groupCounts(src),
      nextPeriodicLaunch: result.plan.nextPeriodicLaunch,
      vaultDiag: diag
    })
    Object.assign(result, verdict, { evalId: verdict.evalId || result.evalId })
    if (verdict.verdict === 'awaiting-promotion') core.notice(verdict.reason)
    return result
  } catch (err) {
    result.verdict = 'failed'
    result.reason = errorMessage(err)
    if (err instanceof ActionError && err.annotation) result.annotation = err.annotation
    return result
  }
}

/**
 * The plan shows no difference (a re-run of the same commit): nothing is registered, so Nomad creates no new
 * version, evaluation or allocation. One read of the job's latest deployment tells whether the running version
 * is good: a failed or cancelled deployment fails the step, as it did when that version was deployed.
 */
async function unchanged(client: NomadClient, result: JobResult, query: { namespace: string; region?: string }): Promise<JobResult> {
  const id = encodeURIComponent(result.jobId)
  const [{ body: stored }, { body: deployment }] = await Promise.all([
    client.get<ApiJob>(`/v1/job/${id}`, { query }),
    client.get<{ ID?: string; Status?: string; StatusDescription?: string; JobVersion?: number } | null>(`/v1/job/${id}/deployment`, { query })
  ])
  if (typeof stored?.Version === 'number') result.jobVersion = stored.Version
  if (typeof stored?.JobModifyIndex === 'number') result.jobModifyIndex = stored.JobModifyIndex
  const current = deployment?.ID && deployment.JobVersion === result.jobVersion ? deployment : undefined
  if (current) {
    result.deploymentId = current.ID
    result.deploymentStatus = current.Status
    result.deploymentDescription = current.StatusDescription
  }
  const version = result.jobVersion !== undefined ? ` version ${result.jobVersion}` : ''
  if (current && (current.Status === 'failed' || current.Status === 'cancelled')) {
    result.verdict = 'failed'
    result.reason =
      `Job "${result.jobId}"${version} is unchanged (the plan shows no difference), so nothing was registered; but its deployment ` +
      `${current.ID} is ${current.Status}${current.StatusDescription ? ` (${current.StatusDescription})` : ''}. Change the job to deploy a new version.`
  } else {
    result.verdict = 'unchanged'
    result.reason =
      `Job "${result.jobId}"${version} is unchanged (the plan shows no difference): nothing was registered` +
      (current ? `; its deployment ${current.ID} is ${current.Status}.` : '.')
  }
  core.info(result.reason)
  return result
}

function groupCounts(job: ApiJob): Record<string, number> {
  const out: Record<string, number> = {}
  for (const g of Array.isArray(job.TaskGroups) ? job.TaskGroups : []) {
    if (g?.Name) out[String(g.Name)] = typeof g.Count === 'number' ? g.Count : 1
  }
  return out
}

function logPlan(jobId: string, plan: PlanSummary): void {
  const parts = plan.groups.map((g) => {
    const bits = [
      g.create && `${g.create} create`,
      g.destructive && `${g.destructive} destructive`,
      g.inPlace && `${g.inPlace} in-place`,
      g.canary && `${g.canary} canary`,
      g.stop && `${g.stop} stop`,
      g.migrate && `${g.migrate} migrate`,
      g.ignore && `${g.ignore} ignore`
    ].filter(Boolean)
    return `${g.name}: ${bits.join(', ') || 'no change'}`
  })
  core.info(
    `Plan for job "${jobId}" (${plan.diffType || 'no diff'}, job modify index ${plan.jobModifyIndex}): ${parts.join('; ') || 'no task groups'}`
  )
}
