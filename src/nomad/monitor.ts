/**
 * Follow a registered job to a verdict, like `nomad job run` but with blocking queries only (no fixed sleeps):
 * what to follow is decided here; the evaluation, deployment and allocation followers each have their file,
 * and the verdict shapes live in verdict.ts.
 */
import { FollowContext, type FollowOptions } from './follow-context.js'
import { followAllocations } from './follow-allocations.js'
import { findDeployment, followDeployment } from './follow-deployment.js'
import { followEval, judgeEval } from './follow-eval.js'
import type { NomadClient } from './nomad-client.js'
import { NetworkError } from '../transport/index.js'
import type { Verdict } from './verdict.js'

export async function followJob(client: NomadClient, opts: FollowOptions): Promise<Verdict> {
  return guarded(client, opts, (ctx) => follow(ctx, opts))
}

/**
 * Follows what a job that was not registered again (the plan showed no change) is doing now: its running deployment
 * (deploymentId), else its allocations of the current version (batch: to complete; others: to run).
 */
export async function followCurrent(client: NomadClient, opts: FollowOptions, deploymentId: string | undefined): Promise<Verdict> {
  return guarded(client, opts, (ctx) =>
    deploymentId
      ? followDeployment(ctx, deploymentId)
      : followAllocations(ctx, opts.jobType === 'batch' || opts.jobType === 'sysbatch' ? 'complete' : 'running')
  )
}

/**
 * A read of the follow phase before the follow itself (the job read back after its registration, or the state of an
 * unchanged job), bounded by the same deadline: 'timeout' when Nomad had not answered by startedAt + timeoutMs.
 */
export async function beforeDeadline<T>(startedAt: number, timeoutMs: number, read: (signal: AbortSignal) => Promise<T>): Promise<T | 'timeout'> {
  const signal = AbortSignal.timeout(Math.max(1, startedAt + timeoutMs - Date.now()))
  try {
    return await read(signal)
  } catch (err) {
    if (signal.aborted) return 'timeout'
    throw err
  }
}

/** The words of a timeout verdict at the deadline: how long, and what Nomad had not answered. */
export function deadlineReason(startedAt: number, what: string, after: string): string {
  return `Timed out after ${Math.round((Date.now() - startedAt) / 1000)}s (the timeout input): Nomad had not answered ${what} by the deadline. ${after}`
}

/** The follow phase of one job: its deadline (the timeout input, requests in flight included) and lost contact. */
async function guarded(client: NomadClient, opts: FollowOptions, run: (ctx: FollowContext) => Promise<Verdict>): Promise<Verdict> {
  const ctx = new FollowContext(client, opts)
  try {
    return await run(ctx)
  } catch (err) {
    const last = `Last state seen: ${ctx.lastSeen ?? 'none (no answer since the follow began)'}.`
    if (ctx.deadlineReached()) {
      // A request was still in flight at the deadline (a Nomad that stopped answering): it was aborted.
      return ctx.verdict(
        'timeout',
        `Timed out after ${ctx.elapsed()} (the timeout input) following job "${opts.jobId}": Nomad had not answered by the deadline. ` +
          `${last} Nomad carries on; check it with \`nomad job status ${opts.jobId}\`.`
      )
    }
    if (!(err instanceof NetworkError)) throw err
    // The transport's retries ran out: the job is registered, but its outcome is not known.
    return ctx.verdict(
      'unknown',
      `Lost contact with Nomad after ${ctx.elapsed()} while following job "${opts.jobId}": ${err.message} ` +
        `${last.replace('the follow began', 'the registration')} The job is registered and Nomad carries on; ` +
        `check it with \`nomad job status ${opts.jobId}\`.`
    )
  } finally {
    ctx.dispose()
  }
}

async function follow(ctx: FollowContext, opts: FollowOptions): Promise<Verdict> {
  const o = opts
  const id = o.jobId
  if (o.periodic) {
    return ctx.verdict(
      'registered',
      `Periodic job "${id}" registered; Nomad launches it on its schedule${o.nextPeriodicLaunch ? ` (next launch ${o.nextPeriodicLaunch})` : ''}, so there is nothing to follow now.`
    )
  }
  if (o.parameterized) {
    return ctx.verdict(
      'registered',
      `Parameterized job "${id}" registered; it runs when dispatched (nomad job dispatch ${id}), so there is nothing to follow now.`
    )
  }
  if (o.multiregion) {
    return ctx.verdict(
      'registered',
      `Multiregion job "${id}" registered (evaluation ${o.evalId || 'none'}); multiregion deployments are not followed.`
    )
  }
  if (!o.evalId) return ctx.verdict('registered', `Job "${id}" registered; Nomad created no evaluation, so there is nothing to follow.`)
  if (o.wait === 'none') return ctx.verdict('registered', `Job "${id}" registered (evaluation ${o.evalId}); not followed (wait: none).`)

  // 1. Evaluation(s).
  const evalRes = await followEval(ctx, o.evalId)
  if ('timeout' in evalRes) {
    return ctx.verdict(
      'timeout',
      `Timed out after ${ctx.elapsed()} waiting for evaluation ${evalRes.lastId} of job "${id}" (last status: ${evalRes.last?.Status ?? 'unknown'}).`
    )
  }
  const ev = evalRes.eval
  const evalVerdict = judgeEval(ctx, ev)
  if (evalVerdict) return evalVerdict
  if (o.wait === 'evaluation') {
    return ctx.verdict('evaluated', `Evaluation ${ev.ID} of job "${id}" completed; all task groups were placed (wait: evaluation).`)
  }

  // 2. Deployment, or allocations for jobs without one.
  if (o.jobType === 'batch' || o.jobType === 'sysbatch') return followAllocations(ctx, 'complete')
  const deploymentId = await findDeployment(ctx, ev)
  if (deploymentId) return followDeployment(ctx, deploymentId)
  return followAllocations(ctx, 'running')
}
