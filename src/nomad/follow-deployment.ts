/**
 * Follow a deployment to its end: successful → healthy; failed/cancelled → failed (with rollback);
 * healthy canaries waiting for manual promotion → promote (auto-promote) or awaiting-promotion; budget spent → timeout.
 * Two blocking watches race: the deployment, and the job's allocations, whose task events can show a permanent
 * failure (early-verdict.ts) long before the deployment's progress deadline, or a template waiting for a secret.
 */
import * as core from '@actions/core'
import type { AllocationListStub, Deployment, DeploymentState, Evaluation } from './api-types.js'
import { groupHealth, groupLine, rolloutProgress } from './deployment-health.js'
import { pendingHint, short, summariseAlloc, withFailureDetails } from './alloc-summary.js'
import { earlyVerdict, TemplateWaitReporter, waitingLines } from './early-verdict.js'
import type { FollowContext } from './follow-context.js'
import type { GroupHealth, Verdict } from './verdict.js'

/** eval.DeploymentID, else the job's latest deployment if it is for the registered version. */
export async function findDeployment(ctx: FollowContext, ev: Evaluation): Promise<string | undefined> {
  if (ev.DeploymentID) return ev.DeploymentID
  const [d] = await ctx.api.jobs().latestDeployment(ctx.opts.jobId, ctx.query)
  if (!d?.ID) return undefined
  if (ctx.opts.jobVersion !== undefined && d.JobVersion !== ctx.opts.jobVersion) return undefined
  return d.ID
}

export async function followDeployment(ctx: FollowContext, deploymentId: string): Promise<Verdict> {
  const o = ctx.opts
  core.info(`Following deployment ${short(deploymentId)} of job "${o.jobId}"`)
  const deployments = ctx.watch((q) => ctx.api.deployments().info(deploymentId, q), 'deployment')
  const allocations = ctx.watch((q) => ctx.api.jobs().allocations(o.jobId, q))
  const templates = new TemplateWaitReporter()
  let lastLine = ''
  let promoteSent = false
  let pauseReported = false
  try {
    let [d, list] = await Promise.all([deployments.next(), allocations.next()])
    for (;;) {
      const groups = groupHealth(d)
      const line = `Deployment ${short(deploymentId)}: ${d.Status} - ${d.StatusDescription ?? ''} [${groups.map(groupLine).join('; ')}]`
      if (line !== lastLine) core.info(line)
      lastLine = line
      const extra: Partial<Verdict> = {
        deploymentId,
        deploymentStatus: d.Status,
        deploymentDescription: d.StatusDescription,
        groups,
        ...(promoteSent ? { promoted: true } : {})
      }

      if (d.Status === 'successful') {
        const allocs = await ctx.allocations(d.JobVersion)
        return ctx.verdict(
          'healthy',
          `Deployment ${deploymentId} of job "${o.jobId}" version ${d.JobVersion} is successful: ${groups.map(groupLine).join('; ')}.`,
          { ...extra, allocations: allocs.summaries, diagnoses: allocs.diagnoses }
        )
      }
      if (d.Status === 'failed' || d.Status === 'cancelled') return deploymentFailed(ctx, deploymentId, d, extra)
      if (d.Status === 'blocked') {
        return ctx.verdict(
          'registered',
          `Deployment ${deploymentId} is blocked waiting for other regions (multiregion); not followed further.`,
          extra
        )
      }

      if (d.Status === 'paused' && !pauseReported) {
        pauseReported = true
        core.warning(`${pausedNote(deploymentId)} The action keeps waiting until it is resumed or the timeout.`)
      }

      // Running (or paused/pending): canaries waiting for promotion?
      if (awaitingPromotion(d, groups)) {
        const nomadPromotes = /pending automatic promotion/i.test(d.StatusDescription ?? '') || canaryGroups(d).every((g) => g.AutoPromote === true)
        if (!nomadPromotes && o.autoPromote && !promoteSent) {
          core.info(`Canaries of deployment ${short(deploymentId)} are healthy; promoting (auto-promote: true)`)
          await ctx.api.deployments().promote({ DeploymentID: deploymentId, All: true }, ctx.query)
          promoteSent = true
        } else if (!nomadPromotes && !o.autoPromote) {
          const allocs = await ctx.allocations(d.JobVersion)
          return ctx.verdict(
            'awaiting-promotion',
            `Deployment ${deploymentId} of job "${o.jobId}": the canaries are healthy and wait for promotion. Promote with ` +
              `\`nomad deployment promote ${deploymentId}\` (or set the auto-promote input, or update { auto_promote = true } in the job).`,
            { ...extra, allocations: allocs.summaries, diagnoses: allocs.diagnoses }
          )
        }
      }

      // The allocations of this version: a permanent failure ends the wait now; a template waiting for a secret is reported.
      const current = list.filter((a: AllocationListStub) => a.JobVersion === d?.JobVersion).map(summariseAlloc)
      const early = earlyVerdict(ctx, deploymentId, current, extra)
      if (early) return early
      templates.report(current)

      if (ctx.deadlineReached()) return deploymentTimeout(ctx, deploymentId, d)
      try {
        const changed = await Promise.race([deployments.next().then((x) => ({ d: x })), allocations.next().then((x) => ({ list: x }))])
        if ('d' in changed) d = changed.d
        else list = changed.list
      } catch (err) {
        // The deadline aborted the watches in flight: the timeout verdict with what was seen last.
        if (ctx.deadlineReached()) return deploymentTimeout(ctx, deploymentId, d)
        throw err
      }
    }
  } finally {
    deployments.stop()
    allocations.stop()
  }
}

async function deploymentFailed(ctx: FollowContext, deploymentId: string, d: Deployment, extra: Partial<Verdict>): Promise<Verdict> {
  const desc: string = d.StatusDescription ?? ''
  const allocs = await ctx.allocations(d.JobVersion)
  const parts: string[] = []
  if (d.Status === 'cancelled') {
    parts.push(`Deployment ${deploymentId} of job "${ctx.opts.jobId}" was cancelled: ${desc || 'no reason given'}`)
    if (/newer version/i.test(desc)) parts.push('someone registered a newer version of the job while this one was deploying')
  } else {
    parts.push(`Deployment ${deploymentId} of job "${ctx.opts.jobId}" version ${d.JobVersion} failed: ${desc || 'no reason given'}`)
    const rolled = rolloutProgress(groupHealth(d), d.JobVersion)
    if (/progress deadline/i.test(desc)) {
      parts.push(
        rolled
          ? `${rolled}, then no further one within the update block's progress_deadline (default 10m): look at the task events below`
          : "no allocation became healthy within the update block's progress_deadline (default 10m): look at the task events below"
      )
    } else if (/unhealthy allocations/i.test(desc)) {
      parts.push(`${rolled ? `${rolled}; then ` : ''}allocations became unhealthy (failed tasks or health checks within healthy_deadline)`)
    }
    // a rolling update stops where it failed: the allocations it had not replaced yet still run the older version
    if (rolled) parts.push('the allocations not replaced yet still run the previous version')
  }
  const rollback = desc.match(/rolling back to job version (\d+)/i)
  const notRolling = /not rolling back/i.test(desc)
  const rollbackVersion = rollback && !notRolling ? Number(rollback[1]) : undefined
  if (rollbackVersion !== undefined) parts.push(`Nomad is rolling back to job version ${rollbackVersion} (auto_revert)`)
  return ctx.verdict('failed', withFailureDetails(`${parts.join('; ')}.`, allocs.summaries, allocs.diagnoses), {
    ...extra,
    allocations: allocs.summaries,
    diagnoses: allocs.diagnoses,
    ...(rollbackVersion !== undefined ? { rollbackVersion } : {})
  })
}

async function deploymentTimeout(ctx: FollowContext, deploymentId: string, d: Deployment | undefined): Promise<Verdict> {
  const allocs = await ctx.allocations(d?.JobVersion, ctx.graceQuery()).catch(() => ({ summaries: [], diagnoses: [] }))
  const groups = d ? groupHealth(d) : []
  const headline =
    `Timed out after ${ctx.elapsed()} following deployment ${deploymentId} of job "${ctx.opts.jobId}"; last seen: ` +
    `${d?.Status ?? 'unknown'}${d?.StatusDescription ? ` - ${d.StatusDescription}` : ''}` +
    (groups.length ? ` [${groups.map(groupLine).join('; ')}]` : '') +
    (d?.Status === 'paused' ? `. ${pausedNote(deploymentId)}` : '. The deployment continues in Nomad.') +
    waitingLines(allocs.summaries) +
    pendingHint(allocs.summaries, !!ctx.opts.vaultDiag)
  return ctx.verdict('timeout', withFailureDetails(headline, allocs.summaries, allocs.diagnoses), {
    deploymentId,
    deploymentStatus: d?.Status,
    deploymentDescription: d?.StatusDescription,
    groups,
    allocations: allocs.summaries,
    diagnoses: allocs.diagnoses
  })
}

/**
 * A paused deployment places no further allocations until it is resumed, while its progress deadline keeps running
 * (nomad/deploymentwatcher/deployment_watcher.go `PauseDeployment`; scheduler/reconcile.go `computeUnderProvisionedBy`).
 */
function pausedNote(deploymentId: string): string {
  return (
    `Deployment ${deploymentId} is paused (\`nomad deployment pause\`): Nomad places no further allocations for it until ` +
    `\`nomad deployment resume ${deploymentId}\`, and its progress deadline keeps running.`
  )
}

function canaryGroups(d: Deployment): DeploymentState[] {
  return Object.values(d.TaskGroups ?? {}).filter((g) => typeof g.DesiredCanaries === 'number' && g.DesiredCanaries > 0 && !g.Promoted)
}

function awaitingPromotion(d: Deployment, groups: GroupHealth[]): boolean {
  if (d.Status !== 'running') return false
  // Nomad sets "requires manual promotion" as soon as the deployment is created, before any canary is healthy
  // (the scheduler's reconciler does this when RequiresPromotion()), so the description alone is not enough.
  const canary = groups.filter((g) => g.desiredCanaries > 0 && !g.promoted)
  return canary.length > 0 && canary.every((g) => g.placedCanaries >= g.desiredCanaries && g.healthyAllocs >= g.desiredCanaries)
}
