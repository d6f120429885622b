/**
 * Early, honest verdicts while a deployment runs. Nomad keeps a deployment running and reschedules failed
 * allocations until the progress deadline (nomad/deploymentwatcher/deployment_watcher.go `shouldFailEarly`: a
 * deployment fails early only when progress_deadline is 0), so a job that can never start would end in a failed
 * deployment after 10 minutes. When the task events show a permanent cause (task-failures.ts, or a Vault error
 * diagnose.ts explains), the action fails at once and says what is wrong and how to fix it. A template still
 * waiting for a Vault secret is not permanent: it is reported (once per task and secret) while the action waits.
 */
import * as core from '@actions/core'
import { withFailureDetails } from './alloc-summary.js'
import { rolloutProgress } from './deployment-health.js'
import type { FollowContext } from './follow-context.js'
import { describeTemplateWait, permanentFailures, templateWaits } from './task-failures.js'
import type { AllocSummary, Verdict } from './verdict.js'

/** A failed verdict when allocations of the deployment failed for a permanent reason; undefined otherwise. */
export function earlyVerdict(ctx: FollowContext, deploymentId: string, allocs: AllocSummary[], extra: Partial<Verdict>): Verdict | undefined {
  if (ctx.opts.failEarly === false) return undefined
  const vault = ctx.opts.vaultDiag ? ctx.diagnose(allocs.filter((a) => a.clientStatus === 'failed')) : []
  const tasks = permanentFailures(allocs)
  if (!vault.length && !tasks.length) return undefined
  const causes = [
    ...(vault.length ? ['allocations failed on Vault (see the Vault diagnosis below)'] : []),
    ...tasks.map((f) => `${f.problem}. Fix: ${f.fix}.`)
  ]
  const rolled = rolloutProgress(extra.groups ?? [], ctx.opts.jobVersion)
  const headline =
    `Deployment ${deploymentId} of job "${ctx.opts.jobId}" cannot succeed, so the action stops waiting (Nomad would keep rescheduling ` +
    `the allocations until the deployment's progress deadline):\n- ${causes.join('\n- ')}` +
    (rolled ? `\nRolling update stopped: ${rolled}; Nomad places no more while one is unhealthy, so the others still run the previous version.` : '')
  return ctx.verdict('failed', withFailureDetails(headline, allocs, vault), { ...extra, allocations: allocs, diagnoses: vault })
}

/** Reports each template that waits for a Vault secret once, as a warning, while the action keeps waiting. */
export class TemplateWaitReporter {
  private readonly seen = new Set<string>()

  report(allocs: AllocSummary[]): void {
    for (const w of templateWaits(allocs)) {
      const key = `${w.task}\n${w.missing.join(', ')}`
      if (this.seen.has(key)) continue
      this.seen.add(key)
      core.warning(describeTemplateWait(w))
    }
  }
}

/** " Still waiting: …" for a timeout's reason, naming the templates that wait for a secret. */
export function waitingLines(allocs: AllocSummary[]): string {
  const waits = templateWaits(allocs)
  return waits.length ? ` Still waiting: ${waits.map(describeTemplateWait).join(' ')}` : ''
}
