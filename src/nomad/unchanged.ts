/**
 * A job whose plan shows no difference (a re-run of the same commit): nothing is registered, so Nomad creates no new
 * version, evaluation or allocation. The verdict comes from what the running version is doing, never from the plan
 * alone: its deployment successful → unchanged; failed or cancelled → failed; still running → followed to its
 * verdict like a fresh deploy (early-failure signs included: a re-run right after an early failure stays failed).
 * Without a deployment for the version (batch, system, no update block): its allocations decide the same way.
 */
import * as core from '@actions/core'
import type { Deployment, Job } from './api-types.js'
import type { NomadClient } from './nomad-client.js'
import type { VaultDiagContext } from './diagnose.js'
import type { FollowOptions } from './follow-context.js'
import { beforeDeadline, deadlineReason, followCurrent } from './monitor.js'
import type { JobResult } from './result.js'

export interface UnchangedOptions {
  namespace: string
  region?: string
  wait: FollowOptions['wait']
  timeoutMs: number
  autoPromote: boolean
  vaultDiag?: VaultDiagContext
  groupCounts: (job: Job) => Record<string, number>
}

/** Fills `result` for a job the plan found unchanged; nothing is written to Nomad. */
export async function unchanged(client: NomadClient, result: JobResult, o: UnchangedOptions): Promise<JobResult> {
  const query = { namespace: o.namespace, region: o.region }
  const jobs = client.api.jobs()
  // The follow phase, and its deadline (the timeout input), begin with these reads.
  const startedAt = Date.now()
  const read = await beforeDeadline(startedAt, o.timeoutMs, (signal) =>
    Promise.all([jobs.info(result.jobId, { ...query, signal }), jobs.latestDeployment(result.jobId, { ...query, signal })])
  )
  if (read === 'timeout') {
    result.verdict = 'timeout'
    result.reason = deadlineReason(
      startedAt,
      `the reads of job "${result.jobId}" and its latest deployment`,
      'The plan showed no change, so nothing was registered.'
    )
    core.info(result.reason)
    return result
  }
  const [[stored], [deployment]] = read
  result.jobVersion = stored.Version
  result.jobModifyIndex = stored.JobModifyIndex
  const current = deployment && deployment.JobVersion === stored.Version ? deployment : undefined
  if (current) note(result, current)
  const head = `Job "${result.jobId}" version ${stored.Version} is unchanged (the plan shows no difference), so nothing was registered`
  const done = (verdict: JobResult['verdict'], reason: string) => {
    result.verdict = verdict
    result.reason = reason
    core.info(reason)
    return result
  }

  if (current && (current.Status === 'failed' || current.Status === 'cancelled')) {
    return done(
      'failed',
      `${head}; but its deployment ${current.ID} is ${current.Status}${current.StatusDescription ? ` (${current.StatusDescription})` : ''}. ` +
        'Change the job to deploy a new version.'
    )
  }
  if (current?.Status === 'successful') return done('unchanged', `${head}; its deployment ${current.ID} is successful.`)
  const periodic = !!stored.Periodic && stored.Periodic.Enabled !== false
  if (!current && (periodic || stored.ParameterizedJob)) {
    return done('unchanged', `${head}; it runs ${periodic ? 'on its schedule' : 'when dispatched'}, so there is nothing to follow.`)
  }
  if (!current && stored.Stop) return done('unchanged', `${head}; the job is stopped.`)
  if (o.wait !== 'deployment') {
    const what = current ? `its deployment ${current.ID} is ${current.Status}` : 'its allocations were not checked'
    return done('unchanged', `${head}; ${what} (wait: ${o.wait}, not followed).`)
  }

  core.info(
    `${head}; ${current ? `its deployment ${current.ID} is still ${current.Status}` : `version ${stored.Version} has no deployment`}: following it.`
  )
  const type = String(stored.Type || 'service')
  const verdict = await followCurrent(
    client,
    {
      jobId: result.jobId,
      ...query,
      evalId: '',
      wait: 'deployment',
      timeoutMs: o.timeoutMs,
      autoPromote: o.autoPromote,
      jobType: type,
      periodic: false,
      parameterized: false,
      jobVersion: stored.Version,
      startedAt,
      groupCounts: o.groupCounts(stored),
      vaultDiag: o.vaultDiag
    },
    current?.ID
  )
  Object.assign(result, verdict, { evalId: result.evalId }) // no evaluation: nothing was registered
  // The followed state is good: the job is what the commit asks for, and nothing was registered.
  if (verdict.verdict === 'healthy' || verdict.verdict === 'complete' || verdict.verdict === 'evaluated') {
    result.verdict = 'unchanged'
    result.reason = `${head}; ${verdict.reason}`
  } else {
    result.reason = `${head}. ${verdict.reason}`
  }
  core.info(result.reason)
  return result
}

function note(result: JobResult, d: Deployment): void {
  result.deploymentId = d.ID
  result.deploymentStatus = d.Status
  result.deploymentDescription = d.StatusDescription
}
