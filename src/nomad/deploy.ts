/**
 * The jobs step of a run: prepareJobs resolves, loads and parses the `job` input's files (in parallel) while
 * reading the agent configuration, and checks them all before the first write (prepare-checks.ts: one file per job,
 * namespaces that exist; json-fields.ts: JSON fields the cluster's Nomad version does not know); deployJobs runs deployJob
 * (deploy-job.ts) for every job, at most `max-parallel` at a time, each in its own log group. Results come back
 * in input order; one job's failure does not stop the others (the caller decides the step's result, see
 * verdictFails in monitor.ts).
 */
import * as core from '@actions/core'
import type { Config } from '../config.js'
import { ActionError, errorMessage } from '../errors.js'
import { NomadClient, type NomadClientOptions } from './nomad-client.js'
import { agentVersion, readAgentSelf, type AgentSelfResult } from './cluster-check.js'
import { applyJob, deployJob, planOneJob, RunLog, type DeployRun, type PlannedJob } from './deploy-job.js'
import type { DeployVaultContext } from './job-role.js'
import { JobLogGroups } from './job-logs.js'
import { resolveJobFiles } from './job-paths.js'
import { loadJob, type LoadedJob } from './jobfile.js'
import { mapLimit } from '../pool.js'
import { checkDistinctJobs, checkNamespaces } from './prepare-checks.js'
import { unknownFieldsWarning } from './json-fields.js'
import type { JobResult } from './result.js'
import { buildVariables, checkVariableNames } from './variables.js'

export type { DeployRun, PlannedJob } from './deploy-job.js'
export type { DeployVaultContext } from './job-role.js'
export type { JobResult } from './result.js'

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
  checkDistinctJobs(cfg.nomad, jobs)
  await checkNamespaces(client, jobs)
  for (const loaded of jobs)
    if (loaded.format === 'json') loaded.warnings.unshift(...unknownFieldsWarning(loaded.file, loaded.job, agentVersion(self)))
  return { client, jobs, self }
}

/** What every job of one run shares (one RunLog, so that each warning is annotated once per run). */
export function deployRun(
  prepared: PreparedJobs,
  cfg: Config,
  vault: DeployVaultContext,
  rendered: { server: string; client: string },
  meta: Record<string, string>,
  started?: JobResult[]
): DeployRun {
  return { client: prepared.client, cfg, vault, rendered, meta: cfg.job.meta ? meta : {}, self: prepared.self, log: new RunLog(), started }
}

/**
 * Plans every prepared job and registers none (expected-plan: the plan is compared with the approved one before the
 * first write). At most cfg.job.maxParallel at a time, in input order. A job that failed to plan is its result.
 */
export async function planJobs(run: DeployRun, prepared: PreparedJobs): Promise<(PlannedJob | JobResult)[]> {
  return mapLimit(prepared.jobs, Math.max(1, run.cfg.job.maxParallel), (loaded) => planOneJob(run, loaded))
}

/**
 * Deploys every prepared job (or registers the jobs planJobs planned), at most cfg.job.maxParallel at a time, and
 * returns the results in input order. Every job has its own log group. One at a time, the group is written as the
 * job goes; several at once, each job's lines are kept apart and its group is printed when it ends (job-logs.ts),
 * so they never interleave. The outputs and the summary keep the input order. `signal` (cancellation): the groups
 * of the jobs still running are printed at once, so that their lines so far are not lost.
 */
export async function deployJobs(
  run: DeployRun,
  prepared: PreparedJobs,
  signal?: AbortSignal,
  planned?: (PlannedJob | JobResult)[]
): Promise<JobResult[]> {
  const deploy = (loaded: LoadedJob, i: number): Promise<JobResult> => {
    const p = planned?.[i]
    if (!p) return deployJob(run, loaded)
    return 'loaded' in p ? applyJob(run, p) : Promise.resolve(p)
  }
  const limit = Math.max(1, run.cfg.job.maxParallel)
  const label = (loaded: LoadedJob) => `Nomad job "${String(loaded.job.ID)}" (${loaded.file})`
  if (limit === 1 || prepared.jobs.length === 1) {
    return mapLimit(prepared.jobs, 1, async (loaded, i) => {
      core.startGroup(label(loaded))
      try {
        return await deploy(loaded, i)
      } finally {
        core.endGroup()
      }
    })
  }
  const groups = new JobLogGroups()
  const onCancel = () => groups.flushRunning('still running when the run was cancelled; its lines so far')
  signal?.addEventListener('abort', onCancel, { once: true })
  try {
    return await mapLimit(prepared.jobs, limit, async (loaded, i) => {
      core.info(`${label(loaded)}: started`)
      return groups.run(label(loaded), () => deploy(loaded, i))
    })
  } finally {
    signal?.removeEventListener('abort', onCancel)
  }
}
