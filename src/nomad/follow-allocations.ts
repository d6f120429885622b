/**
 * Jobs without a deployment: follow the job's allocations (blocking) until
 * - mode 'complete' (batch): all complete → complete; any failed/lost → failed;
 * - mode 'running' (system, or service without update strategy): all running → evaluated; any failed → failed.
 * A template still waiting for a Vault secret is reported while waiting (early-verdict.ts).
 */
import * as core from '@actions/core'
import type { AllocationListStub } from './api-types.js'
import { countLine, pendingHint, summariseAlloc, withFailureDetails } from './alloc-summary.js'
import { TemplateWaitReporter, waitingLines } from './early-verdict.js'
import type { FollowContext } from './follow-context.js'
import type { Verdict } from './verdict.js'

export async function followAllocations(ctx: FollowContext, mode: 'complete' | 'running'): Promise<Verdict> {
  const o = ctx.opts
  const expected =
    o.groupCounts && o.jobType !== 'system' && o.jobType !== 'sysbatch' ? Object.values(o.groupCounts).reduce((a, b) => a + b, 0) : undefined
  let lastLine = ''
  let current: AllocationListStub[] = []
  const templates = new TemplateWaitReporter()
  const watch = ctx.watch((q) => ctx.api.jobs().allocations(o.jobId, q))
  try {
    for (;;) {
      if (ctx.deadlineReached()) {
        const summaries = current.map(summariseAlloc)
        const headline =
          `Timed out after ${ctx.elapsed()} waiting for the allocations of job "${o.jobId}" to ${mode === 'complete' ? 'complete' : 'run'}; last seen: ` +
          `${countLine(current) || 'no allocations'}.` +
          waitingLines(summaries) +
          pendingHint(summaries, !!o.vaultDiag)
        const diagnoses = ctx.diagnose(summaries)
        return ctx.verdict('timeout', withFailureDetails(headline, summaries, diagnoses), { allocations: summaries, diagnoses })
      }
      try {
        current = currentAllocs(await watch.next(), o.jobVersion)
      } catch (err) {
        if (ctx.deadlineReached()) continue // the deadline aborted the watch: the timeout verdict above
        throw err
      }
      const line = countLine(current)
      if (line && line !== lastLine) core.info(`Allocations of job "${o.jobId}": ${line}`)
      lastLine = line
      templates.report(current.map(summariseAlloc))
      const failed = current.filter((a) => a.ClientStatus === 'failed' || a.ClientStatus === 'lost')
      if (failed.length) {
        const summaries = current.map(summariseAlloc)
        const diagnoses = ctx.diagnose(summaries)
        const reschedule = failed.some((a) => a.FollowupEvalID)
          ? ' Nomad may reschedule them (reschedule policy), but the step fails on the first failure.'
          : ''
        return ctx.verdict(
          'failed',
          withFailureDetails(`${failed.length} allocation(s) of job "${o.jobId}" failed.${reschedule}`, summaries, diagnoses),
          { allocations: summaries, diagnoses }
        )
      }
      const enough = current.length > 0 && (expected === undefined || current.length >= expected)
      if (mode === 'complete' && enough && current.every((a) => a.ClientStatus === 'complete')) {
        return ctx.verdict('complete', `All ${current.length} allocation(s) of batch job "${o.jobId}" completed.`, {
          allocations: current.map(summariseAlloc)
        })
      }
      if (mode === 'running' && enough && current.every((a) => a.ClientStatus === 'running')) {
        return ctx.verdict(
          'evaluated',
          `All ${current.length} allocation(s) of job "${o.jobId}" are running; there is no deployment, so Nomad did not check their health.`,
          { allocations: current.map(summariseAlloc) }
        )
      }
    }
  } finally {
    watch.stop()
  }
}

/** Allocations of the registered version that are not replaced and meant to run. */
function currentAllocs(list: AllocationListStub[], version: number | undefined): AllocationListStub[] {
  return list.filter(
    (a) =>
      (version === undefined || a.JobVersion === version) &&
      !a.NextAllocation &&
      (a.DesiredStatus === 'run' || a.ClientStatus === 'failed' || a.ClientStatus === 'lost' || a.ClientStatus === 'complete')
  )
}
