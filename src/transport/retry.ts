/**
 * Retries with full-jitter exponential backoff (the model is aws-actions/configure-aws-credentials'
 * retryAndBackoff: sleep random(0, base * 2^n)), bounded by a number of attempts, by the time spent on one
 * request, and by the whole run's budget.
 */

export interface RetryPolicy {
  /** Retries after the first attempt (input max-retries). */
  maxRetries: number
  /** Base of the backoff in ms: the n-th retry waits random(0, min(maxDelayMs, baseDelayMs * 2^n)). */
  baseDelayMs: number
  maxDelayMs: number
  /** No retry starts later than this after the first attempt. */
  maxElapsedMs: number
}

export const DEFAULT_RETRY: Readonly<RetryPolicy> = { maxRetries: 4, baseDelayMs: 250, maxDelayMs: 5_000, maxElapsedMs: 120_000 }

let defaults: RetryPolicy = { ...DEFAULT_RETRY }
/** The policy a new Transport starts from (DEFAULT_RETRY unless scaled down). */
export function retryDefaults(): RetryPolicy {
  return defaults
}
/** Scales the backoff down for tests and the bench (they have no time to wait); `{}` restores DEFAULT_RETRY. */
export function setRetryDefaults(over: Partial<RetryPolicy>): void {
  defaults = { ...DEFAULT_RETRY, ...over }
}

/** Statuses that mean "try again": rate limit, server errors a retry can fix, Vault's 412 (index not yet replicated on a performance standby). */
export const TRANSIENT_STATUSES: ReadonlySet<number> = new Set([412, 429, 500, 502, 503, 504])

/** The whole run's budget: no retry is scheduled past the deadline. */
export class RunBudget {
  constructor(readonly deadline: number = Number.POSITIVE_INFINITY) {}
  remaining(): number {
    return this.deadline - Date.now()
  }
}

let runBudget = new RunBudget()
/** Sets the budget of this run (main.ts, once the inputs are known). */
export function setRunBudget(ms: number): void {
  runBudget = new RunBudget(Date.now() + ms)
}
export function currentRunBudget(): RunBudget {
  return runBudget
}

/** Delay before retry number `retry` (0-based): full jitter, honouring a Retry-After in seconds when given. */
export function backoffMs(policy: RetryPolicy, retry: number, random: () => number = Math.random, retryAfterS?: number): number {
  const cap = Math.min(policy.maxDelayMs, policy.baseDelayMs * 2 ** retry)
  const jittered = Math.floor(random() * cap)
  if (retryAfterS !== undefined && Number.isFinite(retryAfterS) && retryAfterS > 0) {
    return Math.min(policy.maxDelayMs, Math.max(jittered, retryAfterS * 1000))
  }
  return jittered
}

/** May another attempt start `delay` ms from now? */
export function mayRetry(policy: RetryPolicy, retriesDone: number, startedAt: number, delay: number, budget: RunBudget = runBudget): boolean {
  if (retriesDone >= policy.maxRetries) return false
  const at = Date.now() + delay
  return at - startedAt <= policy.maxElapsedMs && at <= budget.deadline
}

/** Waits ms; ends early when `signal` aborts (the caller's next attempt then fails at once with the abort). */
export function sleep(ms: number, signal?: AbortSignal): Promise<void> {
  return new Promise((r) => {
    if (signal?.aborted) return r()
    const done = () => {
      clearTimeout(t)
      signal?.removeEventListener('abort', done)
      r()
    }
    const t = setTimeout(done, ms)
    signal?.addEventListener('abort', done, { once: true })
  })
}
