/**
 * The plan of one run as a plan document (plan-doc.ts), from what the run planned: the configuration's target, the
 * Vault changes as planned before any write, and each job as planned. Also the refusal of expected-plan. Pure; the
 * shapes are structural so that this file imports neither vault/ nor nomad/ (main.ts passes their results).
 */
import type { Config } from '../config.js'
import { planDifferences } from './compare.js'
import { buildPlanDocument, normaliseAddr, type PlanDocument, type VaultPlanChange } from './plan-doc.js'

/** What a job result carries for the plan (src/nomad/result.ts JobResult). */
export interface PlannedJobFacts {
  file: string
  jobId: string
  namespace: string
  plan: { jobModifyIndex: number; diff?: unknown }
  plannedJob?: unknown
}

/** The plan document of a run; undefined when a job was not planned (it failed before its plan). */
export function planDocumentOf(cfg: Config, vaultPlanned: VaultPlanChange[], jobs: PlannedJobFacts[]): PlanDocument | undefined {
  if (jobs.some((j) => j.plannedJob === undefined)) return undefined
  return buildPlanDocument({
    target: {
      vaultAddr: normaliseAddr(cfg.vault.addr),
      vaultNamespace: cfg.vault.namespace ?? '',
      nomadAddr: cfg.job.files.length > 0 ? normaliseAddr(cfg.nomad.addr) : '',
      nomadNamespace: cfg.nomad.namespace ?? '',
      nomadRegion: cfg.nomad.region ?? '',
      authPath: cfg.settings.authPath.replace(/^\/+|\/+$/g, '')
    },
    vault: { changes: vaultPlanned.map((c) => ({ resource: c.resource, action: c.action, path: c.path, diff: c.diff })) },
    jobs: jobs.map((j) => ({
      file: j.file,
      jobId: j.jobId,
      namespace: j.namespace,
      job: j.plannedJob,
      jobModifyIndex: j.plan.jobModifyIndex,
      diff: j.plan.diff ?? null
    }))
  })
}

/** The refusal text when this run's plan is not the approved one; undefined when it is. */
export function refusalOf(expected: string | PlanDocument, actual: PlanDocument | undefined): string | undefined {
  if (!actual) return 'expected-plan: a job could not be planned, so this run cannot show that it applies the approved plan (see the job errors).'
  const diffs = planDifferences(expected, actual)
  if (diffs.length === 0) return undefined
  const approved = typeof expected === 'string' ? expected : expected.planId
  return (
    `expected-plan: the approved plan is out of date: this run planned ${actual.planId}, the approved plan is ${approved}. What changed:\n` +
    diffs.map((d) => `- ${d}`).join('\n') +
    '\nPlan again (dry-run) and have the new plan approved.'
  )
}
