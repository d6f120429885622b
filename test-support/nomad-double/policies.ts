/**
 * Restart and reschedule policies for the Nomad test double: Nomad's defaults per job type, the restart tracker's
 * texts, reschedule eligibility and delays, and Go's duration formatting for event messages.
 * Sources (facts only): nomad/structs/structs.go (DefaultServiceJobRestartPolicy, DefaultBatchJobRestartPolicy,
 * DefaultServiceJobReschedulePolicy, DefaultBatchJobReschedulePolicy, RescheduleTracker), client/allocrunner/
 * taskrunner/restarts/restarts.go (reasons, 25% jitter), scheduler/reconcile_util.go (reschedule delay functions).
 */
import type { Job, ReschedulePolicy, RescheduleEvent, RestartPolicy, TaskGroup } from './model.js'

const S = 1e9
const M = 60 * S
const H = 60 * M

/** api/tasks.go `TaskGroup.Canonicalize`: service and system jobs get the service policy, every other type the batch one. */
export function defaultRestartPolicy(jobType: string): RestartPolicy {
  return jobType === 'service' || jobType === 'system'
    ? { Attempts: 2, Interval: 30 * M, Delay: 15 * S, Mode: 'fail', RenderTemplates: false }
    : { Attempts: 3, Interval: 24 * H, Delay: 15 * S, Mode: 'fail', RenderTemplates: false }
}

/** api/jobs.go `NewDefaultReschedulePolicy`: service, batch, and none for the other types (sysbatch, system). */
export function defaultReschedulePolicy(jobType: string): ReschedulePolicy {
  if (jobType === 'service') return { Attempts: 0, Interval: 0, Delay: 30 * S, DelayFunction: 'exponential', MaxDelay: 1 * H, Unlimited: true }
  if (jobType === 'batch') return { Attempts: 1, Interval: 24 * H, Delay: 5 * S, DelayFunction: 'constant', MaxDelay: 0, Unlimited: false }
  return { Attempts: 0, Interval: 0, Delay: 0, DelayFunction: '', MaxDelay: 0, Unlimited: false }
}

export function restartPolicy(job: Job, tg: TaskGroup): RestartPolicy {
  return { ...defaultRestartPolicy(job.Type), ...(tg.RestartPolicy ?? {}) }
}

export function reschedulePolicy(job: Job, tg: TaskGroup): ReschedulePolicy {
  return { ...defaultReschedulePolicy(job.Type), ...(job.Reschedule ?? {}), ...(tg.ReschedulePolicy ?? {}) }
}

/** Restart delay plus up to 25% jitter (restarts.go `jitter`). */
export function restartDelay(p: RestartPolicy): number {
  return p.Delay + Math.floor(Math.random() * p.Delay * 0.25)
}

/** A failed alloc may be rescheduled again (RescheduleTracker.RescheduleEligible). */
export function rescheduleEligible(p: ReschedulePolicy, events: RescheduleEvent[], nowNs: number): boolean {
  if (p.Unlimited) return true
  if (p.Attempts <= 0) return false
  const recent = events.filter((e) => nowNs - Number(e.RescheduleTime) < p.Interval).length
  return recent < p.Attempts
}

/** The delay before the next reschedule, given the earlier reschedule events of this alloc's chain. */
export function rescheduleDelay(p: ReschedulePolicy, events: RescheduleEvent[]): number {
  if (events.length === 0 || p.DelayFunction === 'constant') return p.Delay
  const last = Number(events[events.length - 1].Delay ?? p.Delay)
  let next = last
  if (p.DelayFunction === 'exponential') next = last * 2
  else if (p.DelayFunction === 'fibonacci') next = events.length >= 2 ? last + Number(events[events.length - 2].Delay ?? p.Delay) : last + p.Delay
  return p.MaxDelay > 0 ? Math.min(next, p.MaxDelay) : next
}

/** Go's time.Duration.String(): "15s", "1m30s", "30m0s", "1h0m0s", "1.5s", "250ms". */
export function goDuration(ns: number): string {
  if (ns === 0) return '0s'
  const neg = ns < 0
  let n = Math.abs(Math.round(ns))
  let out: string
  if (n < S) {
    const [unit, div] = n < 1e3 ? ['ns', 1] : n < 1e6 ? ['µs', 1e3] : ['ms', 1e6]
    out = `${trimFraction(n / (div as number))}${unit}`
  } else {
    const h = Math.floor(n / H)
    n -= h * H
    const m = Math.floor(n / M)
    n -= m * M
    const secs = `${trimFraction(n / S)}s`
    out = h > 0 ? `${h}h${m}m${secs}` : m > 0 ? `${m}m${secs}` : secs
  }
  return neg ? `-${out}` : out
}

function trimFraction(x: number): string {
  return x.toFixed(9).replace(/\.?0+$/, '')
}
