/**
 * Deploy the `job` input's files: load + parse (in parallel) while reading the agent configuration, then for
 * each job in input order: inject Vault blocks and release meta, plan, register with check-and-set against
 * the plan's JobModifyIndex, and follow it to a verdict. One job's failure does not hide the others' results;
 * the caller decides the step's result (see verdictFails in monitor.ts).
 */
import * as core from '@actions/core'
import { context } from '@actions/github'
import type { Config } from '../config.js'
import { ActionError, errorMessage } from '../errors.js'
import { NomadClient, type NomadClientOptions } from './client.js'
import { evaluateCluster, readAgentSelf, type AgentSelfResult } from './cluster-check.js'
import type { VaultDiagContext } from './diagnose.js'
import { injectMeta, injectVault, releaseMeta, tasksRelyingOnDefaultIdentity, type ApiJob, type ReleaseContext } from './inject.js'
import { loadJob, resolveJobFiles, type LoadedJob } from './jobfile.js'
import { followJob } from './monitor.js'
import type { AllocSummary, GroupHealth, VerdictValue } from './verdict.js'
import { planJob, type PlanSummary } from './plan.js'
import { registerJob } from './register.js'
import { buildVariables } from './variables.js'

export interface DeployVaultContext {
  role: string
  audience: string
  authPath: string
  policies: string[]
  boundAudiences: string[]
  kvMount?: string
  boundClaims?: Record<string, string | string[]>
}

export interface JobResult {
  file: string
  jobId: string
  namespace: string
  jobVersion?: number
  jobModifyIndex?: number
  evalId?: string
  deploymentId?: string
  deploymentStatus?: string
  deploymentDescription?: string
  allocations: AllocSummary[]
  groups: GroupHealth[]
  plan: PlanSummary
  verdict: VerdictValue
  reason: string
  warnings: string[]
  injectedTasks: string[]
  meta: Record<string, string>
  /** Vault failure explanations (also appended to `reason`). */
  diagnoses: string[]
  promoted?: boolean
  rollbackVersion?: number
  /** File position for an annotation when the job could not be parsed. */
  annotation?: { file: string; startLine?: number; startColumn?: number }
}

export interface DeployOptions {
  /** Test hooks: client options (onRequest, timeouts) and the workflow context for release meta. */
  client?: NomadClientOptions
  context?: ReleaseContext
}

/** An empty plan for jobs that never reached the plan step. */
function noPlan(): PlanSummary {
  return { jobModifyIndex: 0, diffType: '', groups: [], warnings: [], failedTGAllocs: {} }
}

/** Jobs resolved, read and parsed, and the agent configuration read: everything checked before the first write. */
export interface PreparedJobs {
  client: NomadClient
  jobs: LoadedJob[]
  self: AgentSelfResult
  context?: ReleaseContext
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
    files.map((file) =>
      variables.then((vars) => loadJob(file, cfg.job, client, { variables: vars, namespace: cfg.nomad.namespace || undefined }))
    )
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
  return {
    client,
    jobs: settled.map((s) => (s as PromiseFulfilledResult<LoadedJob>).value),
    self,
    context: options.context
  }
}

/** For each prepared job in input order: inject, check the cluster, plan, register, follow to a verdict. */
export async function deployJobs(
  prepared: PreparedJobs,
  cfg: Config,
  vault: DeployVaultContext,
  rendered: { server: string; client: string }
): Promise<JobResult[]> {
  const meta = cfg.job.meta ? releaseMeta(prepared.context ?? safeContext()) : {}
  const emitted = new Set<string>()
  const results: JobResult[] = []
  for (const loaded of prepared.jobs) {
    results.push(await deployOne(prepared.client, cfg, vault, rendered, loaded, meta, prepared.self, emitted))
  }
  return results
}

function safeContext(): ReleaseContext {
  // @actions/github's context reads the environment; `repo` throws without GITHUB_REPOSITORY (releaseMeta guards it).
  return context as unknown as ReleaseContext
}

async function deployOne(
  client: NomadClient,
  cfg: Config,
  vault: DeployVaultContext,
  rendered: { server: string; client: string },
  loaded: LoadedJob,
  meta: Record<string, string>,
  self: AgentSelfResult,
  emitted: Set<string>
): Promise<JobResult> {
  const file = loaded.file
  let job: ApiJob = loaded.job
  const jobId = String(job.ID)
  const namespace = cfg.nomad.namespace || String(job.Namespace || '') || 'default'
  const region = cfg.nomad.region || (job.Region && job.Region !== 'global' ? String(job.Region) : '')
  const warnings: string[] = [...loaded.warnings]
  const result: JobResult = {
    file,
    jobId,
    namespace,
    allocations: [],
    groups: [],
    plan: noPlan(),
    verdict: 'failed',
    reason: '',
    warnings,
    injectedTasks: [],
    meta: {},
    diagnoses: []
  }
  const warn = (w: string) => {
    warnings.push(w)
    if (!emitted.has(w)) core.warning(w)
    emitted.add(w)
  }
  core.startGroup(`Nomad job "${jobId}" (${file})`)
  try {
    for (const w of loaded.warnings) core.warning(w)
    if (cfg.nomad.namespace && job.Namespace && job.Namespace !== cfg.nomad.namespace && job.Namespace !== 'default') {
      warn(`Job "${jobId}" (${file}) sets namespace "${job.Namespace}", but the nomad-namespace input is "${cfg.nomad.namespace}": deploying to "${cfg.nomad.namespace}".`)
    }
    if (cfg.nomad.namespace) job = { ...job, Namespace: cfg.nomad.namespace }

    if (cfg.job.injectVault !== 'none') {
      const r = injectVault(job, cfg.job.injectVault, vault.role)
      job = r.job
      result.injectedTasks = r.injectedTasks
      if (r.injectedTasks.length) core.info(`Vault role "${vault.role}" set on task(s): ${r.injectedTasks.join(', ')} (inject-vault: ${cfg.job.injectVault})`)
    }
    if (cfg.job.meta && Object.keys(meta).length) {
      job = injectMeta(job, meta)
      result.meta = { ...meta }
    }

    // Cluster check for this job (the agent configuration was read once).
    const needsDefault = tasksRelyingOnDefaultIdentity(job)
    const check = evaluateCluster(self, { audience: vault.audience, authPath: vault.authPath, role: vault.role }, needsDefault.length > 0, {
      renderedServerBlock: rendered.server,
      renderedClientBlock: rendered.client
    }, { quiet: emitted.has('::cluster-notes') })
    emitted.add('::cluster-notes')
    for (const w of check.warnings) warn(needsDefault.length && /never get a Vault token/.test(w) ? `${w}\nTasks: ${needsDefault.join(', ')}` : w)

    // Plan.
    const query = { namespace, region: region || undefined }
    result.plan = await planJob(client, job, { policyOverride: cfg.job.policyOverride, ...query })
    for (const w of result.plan.warnings) warn(`Nomad plan for job "${jobId}" (${file}): ${w}`)
    logPlan(jobId, result.plan)
    for (const g of result.plan.groups) if (g.placementFailures) warn(`Nomad plan for job "${jobId}": ${g.placementFailures}`)

    if (cfg.dryRun) {
      result.verdict = 'planned'
      result.reason = `Dry run: job "${jobId}" planned (${result.plan.diffType || 'no diff'}), not registered.`
      return result
    }

    // Register with check-and-set against what was planned.
    const reg = await registerJob(client, job, loaded.submission, {
      enforceIndex: true,
      jobModifyIndex: result.plan.jobModifyIndex,
      preserveCounts: cfg.job.preserveCounts,
      policyOverride: cfg.job.policyOverride,
      renderedServerBlock: rendered.server,
      file,
      ...query
    })
    warnings.push(...reg.warnings)
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
    result.verdict = verdict.verdict
    result.reason = verdict.reason
    result.allocations = verdict.allocations
    result.groups = verdict.groups
    result.diagnoses = verdict.diagnoses
    if (verdict.deploymentId) result.deploymentId = verdict.deploymentId
    if (verdict.deploymentStatus) result.deploymentStatus = verdict.deploymentStatus
    if (verdict.deploymentDescription) result.deploymentDescription = verdict.deploymentDescription
    if (verdict.promoted) result.promoted = true
    if (verdict.rollbackVersion !== undefined) result.rollbackVersion = verdict.rollbackVersion
    if (verdict.evalId) result.evalId = verdict.evalId
    if (verdict.verdict === 'awaiting-promotion') core.notice(verdict.reason)
    return result
  } catch (err) {
    result.verdict = 'failed'
    result.reason = errorMessage(err)
    if (err instanceof ActionError && err.annotation) result.annotation = err.annotation
    return result
  } finally {
    core.endGroup()
  }
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
  core.info(`Plan for job "${jobId}" (${plan.diffType || 'no diff'}, job modify index ${plan.jobModifyIndex}): ${parts.join('; ') || 'no task groups'}`)
}
