/**
 * Step outputs. Vault outputs are plain values. Job outputs are plain values for one job and JSON maps
 * keyed by job ID for several jobs (so later steps can use fromJSON()). Every output fits GitHub's 1 MB limit.
 */
import * as core from '@actions/core'
import { bytes, OUTPUT_LIMIT } from '../bounds.js'
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
  for (const [k, v] of Object.entries(values)) set(k, boundOutput(redact(v)))
}

/** The key (or last element) that says how many entries a shortened JSON output leaves out. No Nomad job ID has a space. */
export const NOT_SHOWN = 'not shown'

/**
 * An output value of at most `limit` bytes (GitHub keeps at most 1 MB per output). A longer JSON object or array
 * keeps its leading entries that fit and says how many it leaves out: an object gets the key "not shown", an array a
 * last element {"not shown": N}; the result is still valid JSON. Any other text is cut with "…".
 */
export function boundOutput(value: string, limit: number = OUTPUT_LIMIT): string {
  if (bytes(value) <= limit) return value
  let parsed: unknown
  try {
    parsed = JSON.parse(value)
  } catch {
    parsed = undefined
  }
  if (parsed === null || typeof parsed !== 'object') return cutText(value, limit)
  const entries: [string, unknown][] = Array.isArray(parsed) ? parsed.map((v, i) => [String(i), v]) : Object.entries(parsed)
  const render = (n: number): string => {
    const rest = { [NOT_SHOWN]: entries.length - n }
    const kept = entries.slice(0, n)
    return Array.isArray(parsed) ? JSON.stringify([...kept.map(([, v]) => v), rest]) : JSON.stringify({ ...Object.fromEntries(kept), ...rest })
  }
  // The most leading entries that fit (binary search on the count).
  let lo = 0
  let hi = entries.length - 1
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2)
    if (bytes(render(mid)) <= limit) lo = mid
    else hi = mid - 1
  }
  return render(lo)
}

/** Plain text cut to `limit` bytes, ending with "…". */
function cutText(value: string, limit: number): string {
  // "…" is 3 bytes; a character split by the cut decodes to U+FFFD, which is dropped.
  return `${Buffer.from(value, 'utf8')
    .subarray(0, limit - 3)
    .toString('utf8')
    .replace(/\uFFFD+$/, '')}…`
}
