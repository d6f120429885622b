/**
 * What every follower shares while following one job: the options, the time budget, the typed Nomad API with the
 * job's namespace/region, blocking watches (`?index=` of the previous answer, `wait = min(remaining budget, 30 s)`,
 * abortable so that two can race), the job's allocations with their Vault diagnoses, and the verdict constructor.
 * The `timeout` input is a deadline for the whole follow phase: at the deadline `signal` aborts every request still
 * in flight (a Nomad that stops answering cannot hold the run past it); the followers then give the timeout verdict.
 */
import type { NomadClient } from './nomad-client.js'
import type { NomadApi, QueryMeta, QueryOptions } from './api.js'
import { summariseAlloc } from './alloc-summary.js'
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
  /** When the follow phase began (its deadline is startedAt + timeoutMs); default: now. */
  startedAt?: number
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
  /**
   * Stop following a running deployment as soon as an allocation failed permanently: a Vault login error, an image
   * that cannot be pulled, an unrecoverable start error, a crash loop with one exit code (default true).
   */
  failEarly?: boolean
  /** Longest blocking wait per request (default 30 s). */
  maxWaitMs?: number
}

export interface AllocationsSeen {
  summaries: AllocSummary[]
  diagnoses: string[]
}

export class FollowContext {
  private readonly deadline: number
  readonly maxWait: number
  readonly api: NomadApi
  /** The job's namespace and region for every call. */
  readonly query: QueryOptions = {}
  private readonly start: number
  /** The last evaluation or deployment state a blocking GET returned, for the verdict when contact is lost. */
  lastSeen?: string
  /** Aborts at the deadline: every request of the follow phase carries it. */
  readonly signal: AbortSignal
  private readonly deadlineAc = new AbortController()
  private readonly timer: ReturnType<typeof setTimeout>

  constructor(
    client: NomadClient,
    readonly opts: FollowOptions
  ) {
    this.api = client.api
    this.start = opts.startedAt ?? Date.now()
    this.deadline = this.start + Math.max(0, opts.timeoutMs)
    this.maxWait = opts.maxWaitMs ?? 30_000
    if (opts.namespace !== undefined) this.query.namespace = opts.namespace
    if (opts.region !== undefined) this.query.region = opts.region
    this.signal = this.deadlineAc.signal
    this.query.signal = this.signal
    this.timer = setTimeout(
      () => this.deadlineAc.abort(new Error(`the timeout (${this.opts.timeoutMs} ms) was reached`)),
      Math.max(0, this.deadline - Date.now())
    )
    this.timer.unref?.()
  }

  /** The deadline passed (requests in flight were aborted). */
  deadlineReached(): boolean {
    return this.signal.aborted || this.remaining() <= 0
  }

  /** Stops the deadline timer (the follow phase is over). */
  dispose(): void {
    clearTimeout(this.timer)
  }

  /**
   * After the deadline, the last reads for the timeout verdict's details get a short grace of their own (a quarter
   * of the timeout, at most 5 s); a Nomad that does not answer then leaves them out.
   */
  graceQuery(): QueryOptions {
    return { ...this.query, signal: AbortSignal.timeout(Math.max(1, Math.min(5_000, Math.floor(this.opts.timeoutMs / 4)))) }
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

  /** A watch on one resource: `next()` gives its first answer, then each change (see BlockingWatch). */
  watch<T>(fetch: (q: QueryOptions) => Promise<[T, QueryMeta]>, kind?: 'evaluation' | 'deployment'): BlockingWatch<T> {
    return new BlockingWatch(this, fetch, kind)
  }

  /** The job's allocations of one version (all when undefined), summarised and diagnosed. */
  async allocations(version?: number, query: QueryOptions = this.query): Promise<AllocationsSeen> {
    const [list] = await this.api.jobs().allocations(this.opts.jobId, query)
    const summaries = list.filter((a) => version === undefined || a.JobVersion === version).map(summariseAlloc)
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

/**
 * Blocking reads of one resource. The first `next()` is a plain GET; each later one blocks on the X-Nomad-Index of
 * the previous answer for at most min(remaining budget, maxWait). While a request is in flight, `next()` returns that
 * same request, so two watches can race (`Promise.race`) without sending anything twice; `stop()` aborts the one left.
 * A server that answers a blocking query at once with an unchanged index (not Nomad) gets a 1 s pause.
 */
export class BlockingWatch<T> {
  private index = 0
  private pending?: Promise<T>
  private readonly ac = new AbortController()
  /** Stopped by stop(), or by the follow deadline. */
  private readonly signal: AbortSignal

  constructor(
    private readonly ctx: FollowContext,
    private readonly fetch: (q: QueryOptions) => Promise<[T, QueryMeta]>,
    private readonly kind?: 'evaluation' | 'deployment'
  ) {
    this.signal = AbortSignal.any([this.ac.signal, ctx.signal])
  }

  next(): Promise<T> {
    this.pending ??= this.read().finally(() => {
      this.pending = undefined
    })
    return this.pending
  }

  stop(): void {
    this.ac.abort()
    this.pending?.catch(() => undefined)
  }

  private async read(): Promise<T> {
    const prev = this.index
    const waitMs = Math.max(1, Math.min(this.ctx.remaining(), this.ctx.maxWait))
    const started = Date.now()
    const [body, meta] = await this.fetch({ ...this.ctx.query, index: prev, waitMs, signal: this.signal })
    this.note(body)
    const got = meta.lastIndex
    // Forwards, or backwards after a reset on the server (Nomad's docs: then start again from the lower index).
    if (got > 0 && got !== prev) this.index = got
    if (got === 0 || (got <= prev && Date.now() - started < Math.min(waitMs, 1000))) await pause(1000, this.signal)
    return body
  }

  private note(body: unknown): void {
    if (!this.kind || !body || typeof body !== 'object') return
    const b = body as { ID?: string; Status?: string; StatusDescription?: string }
    if (typeof b.Status !== 'string') return
    this.ctx.lastSeen = `${this.kind} ${b.ID ?? ''} ${b.Status}${b.StatusDescription ? ` (${b.StatusDescription})` : ''}`
  }
}

/** A pause that ends early (rejecting) when the watch is stopped. */
function pause(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const t = setTimeout(resolve, ms)
    signal.addEventListener('abort', () => {
      clearTimeout(t)
      reject(signal.reason)
    })
  })
}
