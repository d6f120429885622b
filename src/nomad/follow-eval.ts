/**
 * Follow an evaluation (and the NextEval chain) to a terminal status, and judge it: failed or cancelled
 * evaluations and placement failures (FailedTGAllocs, in words) fail the job.
 */
import * as core from '@actions/core'
import type { Evaluation } from './api-types.js'
import { short } from './alloc-summary.js'
import type { FollowContext } from './follow-context.js'
import { describePlacementFailure } from './plan-job.js'
import type { Verdict } from './verdict.js'

export type EvalOutcome = { eval: Evaluation } | { timeout: true; last?: Evaluation; lastId: string }

const TERMINAL = ['complete', 'failed', 'canceled', 'cancelled']

export async function followEval(ctx: FollowContext, evalId: string): Promise<EvalOutcome> {
  let id = evalId
  let last: Evaluation | undefined
  const seen = new Set<string>()
  for (;;) {
    const watch = ctx.watch((q) => ctx.api.evaluations().info(id, q), 'evaluation')
    try {
      for (;;) {
        if (ctx.deadlineReached()) return { timeout: true, last, lastId: id }
        let ev: Evaluation
        try {
          ev = await watch.next()
        } catch (err) {
          if (ctx.deadlineReached()) return { timeout: true, last, lastId: id }
          throw err
        }
        if (ev.Status !== last?.Status || ev.ID !== last?.ID)
          core.info(`Evaluation ${short(ev.ID ?? id)}: ${ev.Status}${ev.StatusDescription ? ` (${ev.StatusDescription})` : ''}`)
        last = ev
        if (!TERMINAL.includes(ev.Status)) continue
        const failures = ev.FailedTGAllocs && Object.keys(ev.FailedTGAllocs).length
        if (ev.Status === 'complete' && !failures && ev.NextEval && !seen.has(ev.NextEval)) {
          seen.add(ev.NextEval)
          core.info(`Evaluation ${short(ev.ID)} continues in evaluation ${short(ev.NextEval)}`)
          id = ev.NextEval
          break
        }
        return { eval: ev }
      }
    } finally {
      watch.stop()
    }
  }
}

/** A failing verdict for a failed/cancelled evaluation or a placement failure; undefined when all was placed. */
export function judgeEval(ctx: FollowContext, ev: Evaluation): Verdict | undefined {
  const id = ctx.opts.jobId
  const evalId = ev.ID ?? ctx.opts.evalId
  if (ev.Status === 'failed' || ev.Status === 'canceled' || ev.Status === 'cancelled') {
    return ctx.verdict('failed', `Evaluation ${ev.ID} of job "${id}" ${ev.Status}${ev.StatusDescription ? `: ${ev.StatusDescription}` : ''}.`, {
      evalId
    })
  }
  const failed = ev.FailedTGAllocs ?? {}
  const groups = Object.keys(failed).sort()
  if (groups.length) {
    const words = groups.map((g) => describePlacementFailure(g, failed[g]))
    const blocked = ev.BlockedEval
      ? ` Nomad keeps blocked evaluation ${ev.BlockedEval} and places the allocations when capacity appears; fix the cause or the job stays pending.`
      : ''
    return ctx.verdict('failed', `Placement failure for job "${id}": ${words.join('; ')}.${blocked}`, { evalId })
  }
  return undefined
}
