/**
 * Step outputs. Vault outputs are plain values. Job outputs are plain values for one job and JSON maps
 * keyed by job ID for several jobs (so later steps can use fromJSON()).
 */
import * as core from '@actions/core'
import { redact } from '../transport/redact.js'
import type { RoleSettings } from '../config.js'
import type { JobResult } from '../nomad/result.js'

export type OutputSetter = (name: string, value: string) => void

const str = (v: unknown): string => (v === undefined || v === null ? '' : typeof v === 'string' ? v : JSON.stringify(v))

export function jobOutputs(jobs: JobResult[]): Record<string, string> {
  const fields: Record<string, (j: JobResult) => unknown> = {
    'job-id': (j) => j.jobId,
    'job-role': (j) => j.role,
    'job-version': (j) => j.jobVersion,
    'job-modify-index': (j) => j.jobModifyIndex,
    'eval-id': (j) => j.evalId,
    'deployment-id': (j) => j.deploymentId,
    'deployment-status': (j) => j.deploymentStatus,
    allocations: (j) => j.allocations,
    plan: (j) => ({ ...j.plan, diff: undefined }),
    verdict: (j) => j.verdict
  }
  const out: Record<string, string> = {}
  for (const [name, get] of Object.entries(fields)) {
    if (jobs.length === 1) out[name] = str(get(jobs[0]))
    else if (jobs.length > 1) {
      const map: Record<string, unknown> = {}
      for (const j of jobs) map[j.jobId] = get(j) ?? null
      out[name] = JSON.stringify(map)
    }
  }
  return out
}

/** The outputs `role` and `policies`: the first declared role (the only one of the single-role inputs) and its policies. */
export function roleOutputs(roles: readonly Pick<RoleSettings, 'name' | 'policy'>[]): { role: string; policies: string } {
  return { role: roles[0].name, policies: JSON.stringify([roles[0].policy]) }
}

export function setOutputs(values: Record<string, string>, set: OutputSetter = core.setOutput): void {
  for (const [k, v] of Object.entries(values)) set(k, redact(v))
}
