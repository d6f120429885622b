/**
 * What every follower shares while following one job: the options, the time budget, blocking GETs
 * (`?index=` of the previous response, `wait = min(remaining budget, 30 s)`), the job's allocations with
 * their Vault diagnoses, and the verdict constructor.
 */
import type { NomadClient, Query } from './client.js'
import { summariseAlloc, type Obj } from './alloc-summary.js'
import { diagnoseVaultFailure, type VaultDiagContext } from './diagnose.js'
import type { AllocSummary, Verdict, VerdictValue } from './verdict.js'

export interface FollowOptions {
  jobId: string
  /** Namespace/region of the job (override the client's). */
  namespace?: string
  region?: string
  /** '' for periodic/parameterized jobs. */
  evalId: string
  wait: 'none' | 'evaluation' | 'deployment'
  timeoutMs: number
  autoPromote: boolean
  /** service | batch | system | sysbatch */
  jobType: string
  periodic: boolean
  parameterized: boolean
  multiregion?: boolean
  /** The registered version (to match the deployment and filter allocations). */
  jobVersion?: number
  /** Expected allocations per group (batch/service without deployment). */
  groupCounts?: Record<string, number>
  nextPeriodicLaunch?: string
  vaultDiag?: VaultDiagContext
  /** Stop following a running deployment as soon as an allocation failed on a Vault error (default true). */
  failFastOnVault?: boolean
  /** Longest blocking wait per request (default 30 s). */
  maxWaitMs?: number
}

export interface AllocationsSeen {
  summaries: AllocSummary[]
  diagnoses: string[]
}

export class FollowContext {
  private readonly deadline: number
  private readonly maxWait: number
  readonly query: Query = {}
  private readonly start = Date.now()
  /** The last evaluation or deployment state a blocking GET returned, for the verdict when contact is lost. */
  lastSeen?: string

  constructor(
    readonly client: NomadClient,
    readonly opts: FollowOptions
  ) {
    this.deadline = this.start + Math.max(0, opts.timeoutMs)
    this.maxWait = opts.maxWaitMs ?? 30_000
    if (opts.namespace !== undefined) this.query.namespace = opts.namespace
    if (opts.region !== undefined) this.query.region = opts.region
  }

  verdict(verdict: VerdictValue, reason: string, extra: Partial<Verdict> = {}): Verdict {
    return { verdict, reason, evalId: this.opts.evalId, allocations: [], groups: [], diagnoses: [], ...extra }
  }

  remaining(): number {
    return this.deadline - Date.now()
  }

  elapsed(): string {
    return `${Math.round((Date.now() - this.start) / 1000)}s`
  }

  /** A GET that blocks when index > 0, for at most min(remaining, maxWait). */
  async block<T>(path: string, index: number, extra: Query = {}): Promise<{ body: T; index: number }> {
    const waitMs = Math.max(1, Math.min(this.remaining(), this.maxWait))
    const res = await this.client.get<T>(path, { query: { ...this.query, ...extra }, index, waitMs })
    const b = res.body as { ID?: string; Status?: string; StatusDescription?: string } | null
    if (b && typeof b === 'object' && typeof b.Status === 'string') {
      this.lastSeen = `${path.includes('/deployment/') ? 'deployment' : 'evaluation'} ${b.ID ?? ''} ${b.Status}${b.StatusDescription ? ` (${b.StatusDescription})` : ''}`
    }
    return res
  }

  jobPath(suffix = ''): string {
    return `/v1/job/${encodeURIComponent(this.opts.jobId)}${suffix}`
  }

  /** The job's allocations of one version (all when undefined), summarised and diagnosed. */
  async allocations(version?: number): Promise<AllocationsSeen> {
    const { body } = await this.client.get<Obj[]>(this.jobPath('/allocations'), { query: this.query })
    const list = (body ?? []).filter((a) => version === undefined || a.JobVersion === version)
    const summaries = list.map(summariseAlloc)
    return { summaries, diagnoses: this.diagnose(summaries) }
  }

  /** Vault explanations for the task events of these allocations. */
  diagnose(allocs: AllocSummary[]): string[] {
    const ctx = this.opts.vaultDiag
    if (!ctx) return []
    const out = new Set<string>()
    for (const a of allocs) {
      for (const e of a.events) {
        const d = diagnoseVaultFailure(e.message, { ...ctx, jobId: ctx.jobId ?? this.opts.jobId })
        if (d) out.add(d)
      }
    }
    return [...out]
  }
}

/** The next blocking index; a server without X-Nomad-Index (not Nomad) gets a 1 s pause instead of a busy loop. */
export async function nextIndex(prev: number, got: number): Promise<number> {
  if (got > 0) return got
  await new Promise((r) => setTimeout(r, 1000))
  return prev
}
