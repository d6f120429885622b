/**
 * One job's pipeline in a deploy run: namespace and Vault role, inject the vault blocks and release meta, check
 * the cluster for it, plan, register with check-and-set against the plan's JobModifyIndex (or nothing when the
 * plan shows no change: unchanged.ts judges the running version), and follow it to a verdict. It never throws: a
 * failure is the job's result (a defect of ours is reported as a bug, with its stack).
 */
import * as core from '@actions/core'
import type { Config, RoleSettings } from '../config.js'
import { ActionError, asInternalError, bugMessage, errorMessage } from '../errors.js'
import { redact } from '../transport/index.js'
import type { Job } from './api-types.js'
import type { NomadClient } from './nomad-client.js'
import { evaluateCluster, type AgentSelfResult } from './cluster-check.js'
import type { VaultDiagContext } from './diagnose.js'
import { injectMeta, injectVault, tasksRelyingOnDefaultIdentity, vaultTasks, type ApiJob } from './inject.js'
import { jobRole, type DeployVaultContext } from './job-role.js'
import type { LoadedJob } from './jobfile.js'
import { beforeDeadline, deadlineReason, followJob } from './monitor.js'
import { planJob, type PlanSummary } from './plan-job.js'
import { registerJob } from './register.js'
import { newJobResult, type JobResult } from './result.js'
import { unchanged } from './unchanged.js'

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
  /** expected-plan: the jobs are registered at the approved plan's job modify index. */
  approvedPlan?: boolean
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

/** A job planned and not yet registered: what applyJob registers (exactly this job, at this plan's index). */
export interface PlannedJob {
  loaded: LoadedJob
  result: JobResult
  /** The job as planned: after injection, with the release meta. */
  job: ApiJob
  query: { namespace: string; region?: string }
  /** The declared role the job logs in with. */
  role: RoleSettings
}

/** Deploys one loaded job of the run and returns its result (also pushed to run.started as soon as it starts). */
export async function deployJob(run: DeployRun, loaded: LoadedJob): Promise<JobResult> {
  const planned = await planOneJob(run, loaded)
  return 'loaded' in planned ? applyJob(run, planned) : planned
}

/**
 * Namespace, Vault role, injection, the cluster check and the plan of one job: every read before its register.
 * Returns the planned job, or its result when it failed or the run is a dry run.
 */
export async function planOneJob(run: DeployRun, loaded: LoadedJob): Promise<PlannedJob | JobResult> {
  const { client, cfg, rendered, log } = run
  const file = loaded.file
  let job: ApiJob = loaded.job
  const jobId = String(job.ID)
  const namespace = cfg.nomad.namespace || String(job.Namespace || '') || 'default'
  const region = cfg.nomad.region || (job.Region && job.Region !== 'global' ? String(job.Region) : '')
  const result = newJobResult(file, jobId, namespace)
  run.started?.push(result)
  const warn = jobWarning(run, result)
  try {
    for (const w of loaded.warnings) warn(w)
    if (cfg.nomad.namespace && job.Namespace && job.Namespace !== cfg.nomad.namespace && job.Namespace !== 'default') {
      warn(
        `Job "${jobId}" (${file}) sets namespace "${job.Namespace}", but the nomad-namespace input is "${cfg.nomad.namespace}": deploying to "${cfg.nomad.namespace}".`
      )
    }
    if (cfg.nomad.namespace) job = { ...job, Namespace: cfg.nomad.namespace }

    const vault = run.vault
    const many = vault.roles.length > 1
    const role = jobRole(vault, namespace, jobId, cfg.job.injectVault !== 'none')
    if (cfg.job.injectVault !== 'none') {
      const r = injectVault(job, cfg.job.injectVault, role.name, { fillEmptyRole: many })
      job = r.job
      result.injectedTasks = r.injectedTasks
      if (r.injectedTasks.length)
        core.info(`Vault role "${role.name}" set on task(s) of job "${jobId}": ${r.injectedTasks.join(', ')} (inject-vault: ${cfg.job.injectVault})`)
    }
    // The role(s) the job's tasks log in with ('' in a task: the clients' create_from_role, the default role).
    result.role = [...new Set(vaultTasks(job).map((t) => t.role || vault.defaultRole))].join(',')
    if (many && result.role) core.info(`Job "${jobId}" (namespace "${namespace}") logs in to Vault with role "${result.role}".`)
    if (Object.keys(run.meta).length) {
      job = injectMeta(job, run.meta)
      result.meta = { ...run.meta }
    }

    // Cluster check for this job (the agent configuration was read once).
    const needsDefault = tasksRelyingOnDefaultIdentity(job)
    const check = evaluateCluster(
      run.self,
      { audience: vault.audience, authPath: vault.authPath, role: vault.defaultRole },
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

    result.plannedJob = job
    if (cfg.dryRun) {
      result.verdict = 'planned'
      result.reason = `Dry run: job "${jobId}" planned (${result.plan.diffType || 'no diff'}), not registered.`
      return result
    }
    return { loaded, result, job, query, role }
  } catch (err) {
    return failedWith(result, err, cfg.nomad.token)
  }
}

/** Registers a planned job with check-and-set at its plan's job modify index, and follows it to a verdict. */
export async function applyJob(run: DeployRun, planned: PlannedJob): Promise<JobResult> {
  const { client, cfg, rendered } = run
  const { loaded, result, job, query, role } = planned
  const { file, jobId, namespace } = result
  try {
    const { audience, boundAudiences, authPath } = run.vault
    const diag: VaultDiagContext = {
      audience,
      boundAudiences,
      authPath,
      role: role.name,
      policies: [role.policy],
      kvMount: role.kvMount,
      boundClaims: role.boundClaims,
      namespace,
      jobId
    }
    if (result.plan.diffType === 'None') {
      return await unchanged(client, result, {
        ...query,
        wait: cfg.job.wait,
        timeoutMs: cfg.job.timeoutMs,
        autoPromote: cfg.job.autoPromote,
        vaultDiag: diag,
        groupCounts
      })
    }

    // Register with check-and-set against what was planned.
    const reg = await registerJob(client, job, loaded.submission, {
      enforceIndex: true,
      jobModifyIndex: result.plan.jobModifyIndex,
      preserveCounts: cfg.job.preserveCounts,
      policyOverride: cfg.job.policyOverride,
      renderedServerBlock: rendered.server,
      file,
      shownWarnings: result.plan.warnings,
      approvedPlan: run.approvedPlan,
      ...query
    })
    result.warnings.push(...reg.warnings.filter((w) => !result.plan.warnings.includes(w)))
    result.evalId = reg.evalId
    result.jobModifyIndex = reg.jobModifyIndex
    core.info(`Registered job "${jobId}" in namespace "${namespace}"${reg.evalId ? `, evaluation ${reg.evalId}` : ''}`)

    // Read the job back for its version and type. The follow phase, and its deadline (the timeout input), begin here.
    const startedAt = Date.now()
    const read = await beforeDeadline(startedAt, cfg.job.timeoutMs, (signal) => client.api.jobs().info(jobId, { ...query, signal }))
    if (read === 'timeout') {
      result.verdict = 'timeout'
      result.reason = deadlineReason(
        startedAt,
        `the read of job "${jobId}" after its registration`,
        `The job is registered and Nomad carries on; check it with \`nomad job status ${jobId}\`.`
      )
      return result
    }
    const [src] = read
    result.jobVersion = src.Version
    result.jobModifyIndex = src.JobModifyIndex
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
      startedAt,
      groupCounts: groupCounts(src),
      nextPeriodicLaunch: result.plan.nextPeriodicLaunch,
      vaultDiag: diag
    })
    Object.assign(result, verdict, { evalId: verdict.evalId || result.evalId })
    if (verdict.verdict === 'awaiting-promotion') core.notice(verdict.reason)
    return result
  } catch (err) {
    return failedWith(result, err, cfg.nomad.token)
  }
}

/** A failed job: a user's or server's error is its message; a defect of ours is a bug, with its stack in the log. */
function failedWith(result: JobResult, err: unknown, token: string | undefined): JobResult {
  result.verdict = 'failed'
  const bug = asInternalError(err)
  if (bug) core.error(redact(`Job "${result.jobId}" (${result.file}): ${bug.stack ?? bug.message}`, [token]), { title: 'Bug in nomad-vault-action' })
  result.reason = bug ? bugMessage(bug) : errorMessage(err)
  if (err instanceof ActionError && err.annotation) result.annotation = err.annotation
  return result
}

/** Warnings about one job: kept in its result and logged once per run. */
function jobWarning(run: DeployRun, result: JobResult): (w: string) => void {
  return (w: string) => {
    result.warnings.push(w)
    run.log.warning(w)
  }
}

function groupCounts(job: ApiJob | Job): Record<string, number> {
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
