/**
 * The one result shape of a job in a run: deploy.ts fills it, report/ (outputs and summary) reads it.
 * The follow step's Verdict is part of it, not a copy.
 */
import type { Verdict } from './verdict.js'
import type { PlanSummary } from './plan-job.js'

export interface JobResult extends Verdict {
  file: string
  jobId: string
  namespace: string
  jobVersion?: number
  jobModifyIndex?: number
  plan: PlanSummary
  /** Warnings about this job, in the order they were found (also logged once per run). */
  warnings: string[]
  /** The Vault role(s) the job's tasks log in with (comma-separated when they differ); '' without Vault blocks. */
  role?: string
  /** Tasks ("group/task") that got a Vault block from the inject-vault input. */
  injectedTasks: string[]
  /** The release metadata written into Job.Meta. */
  meta: Record<string, string>
  /** The job as planned (after injection, with the release meta): what the plan-id covers. */
  plannedJob?: unknown
  /** File position for an annotation when the job could not be parsed. */
  annotation?: { file: string; startLine?: number; startColumn?: number }
}

/** A result for a job that has not been planned yet. */
export function newJobResult(file: string, jobId: string, namespace: string): JobResult {
  return {
    file,
    jobId,
    namespace,
    plan: { jobModifyIndex: 0, diffType: '', groups: [], warnings: [], failedTGAllocs: {} },
    verdict: 'failed',
    reason: '',
    evalId: '',
    allocations: [],
    groups: [],
    diagnoses: [],
    warnings: [],
    injectedTasks: [],
    meta: {}
  }
}
