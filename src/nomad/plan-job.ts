/**
 * `POST /v1/job/:id/plan` (through the typed API, which checks the answer's shape) and a JSON-serialisable summary
 * of it, plus placement-failure text shared with the monitor (AllocationMetric → words).
 */
import { ActionError, HttpError } from '../errors.js'
import type { NomadClient } from './nomad-client.js'
import type { ApiJob } from './inject.js'
import { explainJobRefusal, type RefusalContext } from './job-errors.js'
import type { AllocationMetric } from './api-types.js'
import { splitWarnings } from './warnings.js'

export interface GroupPlan {
  name: string
  create: number
  inPlace: number
  destructive: number
  stop: number
  ignore: number
  canary: number
  migrate: number
  /** Words for the group's placement failure, when the plan could not place it. */
  placementFailures?: string
}

export interface PlanSummary {
  jobModifyIndex: number
  /** Diff.Type: Added, Deleted, Edited, None ('' when the server sent no diff). */
  diffType: string
  groups: GroupPlan[]
  warnings: string[]
  failedTGAllocs: Record<string, AllocationMetric>
  /** RFC 3339, for periodic jobs. */
  nextPeriodicLaunch?: string
  /** Nomad's Diff as answered (the plan-id covers it; not part of the `plan` output). */
  diff?: unknown
}

export interface PlanOptions {
  policyOverride?: boolean
  /** Per-call namespace/region (override the connection's). */
  namespace?: string
  region?: string
  /** Context for explaining a refused job (file, audience, rendered server block). */
  refusal?: Omit<RefusalContext, 'jobId'>
}

interface PlanResponse {
  JobModifyIndex?: number
  Diff?: { Type?: string; [field: string]: unknown } | null
  Annotations?: { DesiredTGUpdates?: Record<string, Record<string, number>> | null } | null
  FailedTGAllocs?: Record<string, AllocationMetric> | null
  NextPeriodicLaunch?: string | null
  Warnings?: string | null
}

export async function planJob(client: NomadClient, job: ApiJob, opts: PlanOptions = {}): Promise<PlanSummary> {
  const id = String(job.ID ?? '')
  let res: PlanResponse
  try {
    res = await client.api
      .jobs()
      .plan<ApiJob, PlanResponse>(
        id,
        { Job: job, Diff: true, PolicyOverride: opts.policyOverride === true },
        { namespace: opts.namespace, region: opts.region }
      )
  } catch (err) {
    // Plan runs the same admission checks as register, so version-specific refusals show up here first.
    const explained = err instanceof HttpError ? explainJobRefusal(err.serverMessage, { jobId: id, ...opts.refusal }) : undefined
    if (explained) throw new ActionError(explained, { cause: err })
    throw err
  }
  return summarisePlan(res)
}

/** Build the summary from a plan response (exported for tests and the Nomad double). */
export function summarisePlan(res: PlanResponse): PlanSummary {
  const updates = res.Annotations?.DesiredTGUpdates ?? {}
  const failed = res.FailedTGAllocs ?? {}
  const names = new Set([...Object.keys(updates), ...Object.keys(failed)])
  const groups: GroupPlan[] = [...names].sort().map((name) => {
    const u = updates[name] ?? {}
    const g: GroupPlan = {
      name,
      create: u.Place ?? 0,
      inPlace: u.InPlaceUpdate ?? 0,
      destructive: u.DestructiveUpdate ?? 0,
      stop: u.Stop ?? 0,
      ignore: u.Ignore ?? 0,
      canary: u.Canary ?? 0,
      migrate: u.Migrate ?? 0
    }
    if (failed[name]) g.placementFailures = describePlacementFailure(name, failed[name])
    return g
  })
  const summary: PlanSummary = {
    jobModifyIndex: res.JobModifyIndex ?? 0,
    diffType: res.Diff?.Type ?? '',
    groups,
    warnings: splitWarnings(res.Warnings),
    failedTGAllocs: failed
  }
  const launch = res.NextPeriodicLaunch
  // Go's zero time ("0001-01-01T00:00:00Z") means "not periodic".
  if (launch && !launch.startsWith('0001-01-01')) summary.nextPeriodicLaunch = launch
  if (res.Diff) summary.diff = res.Diff
  return summary
}

const DIMENSION_WORDS: Record<string, string> = { memory: 'memory', cpu: 'CPU', disk: 'disk space', cores: 'free CPU cores', devices: 'devices' }

/**
 * Words for why a task group could not be placed, e.g.
 * `group "web": no node had enough memory (1 of 1 nodes exhausted on memory)`.
 */
export function describePlacementFailure(group: string, m: AllocationMetric): string {
  const evaluated = m.NodesEvaluated ?? 0
  const filtered = m.NodesFiltered ?? 0
  const exhausted = m.NodesExhausted ?? 0
  const count = (m.CoalescedFailures ?? 0) + 1
  const prefix = `group "${group}"${count > 1 ? ` (${count} allocations)` : ''}`
  const parts: string[] = []
  let headline: string

  const constraints = entries(m.ConstraintFiltered)
  const classes = entries(m.ClassFiltered)
  const dims = entries(m.DimensionExhausted)
  const quota = (m.QuotaExhausted ?? []).filter(Boolean)

  if (quota.length) {
    headline = `the namespace quota is exhausted (${quota.join(', ')})`
  } else if (evaluated === 0) {
    const avail = entries(m.NodesAvailable)
    headline =
      "no node was eligible: no ready nodes in the job's datacenters and node pool" +
      (avail.length ? ` (ready nodes per datacenter: ${avail.map(([k, v]) => `${k}=${v}`).join(', ')})` : '') +
      (m.NodesInPool !== undefined ? `, ${m.NodesInPool ?? 0} node(s) in the node pool` : '')
  } else if (filtered >= evaluated && exhausted === 0) {
    headline = `all ${evaluated} evaluated node(s) were filtered out by constraints`
  } else if (dims.length === 1 && exhausted > 0) {
    const [dim] = dims[0]
    headline = DIMENSION_WORDS[dim] ? `no node had enough ${DIMENSION_WORDS[dim]}` : `no node could satisfy "${dim}"`
  } else if (exhausted > 0) {
    headline = `no node had enough resources`
  } else {
    headline = 'it could not be placed'
  }

  if (constraints.length)
    parts.push(`${filtered} of ${evaluated} nodes filtered: ${constraints.map(([k, v]) => `constraint ${k} filtered ${v}`).join(', ')}`)
  else if (filtered > 0) parts.push(`${filtered} of ${evaluated} nodes filtered`)
  if (classes.length) parts.push(`by node class: ${classes.map(([k, v]) => `${k}=${v}`).join(', ')}`)
  if (exhausted > 0) {
    parts.push(
      `${exhausted} of ${evaluated} nodes exhausted${dims.length ? ` on ${dims.map(([k, v]) => (dims.length > 1 ? `${k} (${v})` : k)).join(', ')}` : ''}`
    )
  }
  const hints: string[] = []
  if (constraints.some(([k]) => /vault/i.test(k))) {
    hints.push("the Nomad clients have no working Vault connection: enable the clients' vault block (see the rendered client block)")
  }
  return `${prefix}: ${headline}${parts.length ? ` (${parts.join('; ')})` : ''}${hints.length ? `; ${hints.join('; ')}` : ''}`
}

function entries(v: Record<string, number> | null | undefined): [string, number][] {
  if (!v) return []
  return Object.entries(v).filter(([, n]) => typeof n === 'number' && n > 0)
}
