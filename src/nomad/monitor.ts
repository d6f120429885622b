/**
 * Follow a registered job to a verdict, like `nomad job run` (action-anchors §4.4) but with blocking queries
 * only: each GET passes the previous response's X-Nomad-Index and `wait = min(remaining budget, 30 s)`.
 * There are no fixed sleeps.
 *
 * Verdicts: healthy (deployment successful), complete (batch allocations complete), evaluated (wait=evaluation,
 * or no deployment to follow), registered (wait=none, periodic, parameterized, multiregion),
 * awaiting-promotion (canaries healthy, promotion is manual), planned (dry run, set by deploy.ts), unchanged (the plan
 * showed no difference, nothing registered; set by deploy.ts): these pass.
 * failed and timeout fail the step (see FAILING_VERDICTS).
 */
import * as core from '@actions/core'
import type { NomadClient, Query } from './client.js'
import { diagnoseVaultFailure, type VaultDiagContext } from './diagnose.js'
import { describePlacementFailure, type AllocationMetric } from './plan.js'

export type VerdictValue = 'healthy' | 'failed' | 'timeout' | 'registered' | 'evaluated' | 'complete' | 'awaiting-promotion' | 'planned' | 'unchanged'

/** Verdicts that should fail the step. */
export const FAILING_VERDICTS: readonly VerdictValue[] = ['failed', 'timeout']

export function verdictFails(v: VerdictValue): boolean {
  return FAILING_VERDICTS.includes(v)
}

export interface TaskEventSummary {
  task: string
  type: string
  message: string
}

export interface AllocSummary {
  id: string
  name: string
  taskGroup: string
  clientStatus: string
  desiredStatus: string
  healthy?: boolean
  canary?: boolean
  events: TaskEventSummary[]
}

export interface GroupHealth {
  name: string
  desiredTotal: number
  placedAllocs: number
  healthyAllocs: number
  unhealthyAllocs: number
  desiredCanaries: number
  placedCanaries: number
  promoted: boolean
  autoPromote?: boolean
  autoRevert?: boolean
}

export interface Verdict {
  verdict: VerdictValue
  reason: string
  evalId: string
  deploymentId?: string
  deploymentStatus?: string
  deploymentDescription?: string
  allocations: AllocSummary[]
  groups: GroupHealth[]
  promoted?: boolean
  rollbackVersion?: number
  /** Explanations of Vault failures seen in task events. */
  diagnoses: string[]
}

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

/* eslint-disable @typescript-eslint/no-explicit-any */
type Obj = Record<string, any>

const IMPORTANT_EVENTS = new Set([
  'Killing',
  'Driver Failure',
  'Setup Failure',
  'Failed Validation',
  'Not Restarting',
  'Restarting',
  'Template',
  'Task hook failed',
  'Failed Artifact Download',
  'Sibling Task Failed',
  'Alloc Unhealthy',
  'Failed Restoring Task',
  'Lost',
  'Killed'
])

export async function followJob(client: NomadClient, opts: FollowOptions): Promise<Verdict> {
  return new Follower(client, opts).run()
}

class Follower {
  private readonly deadline: number
  private readonly maxWait: number
  private readonly query: Query = {}
  private readonly start = Date.now()

  constructor(
    private readonly client: NomadClient,
    private readonly opts: FollowOptions
  ) {
    this.deadline = this.start + Math.max(0, opts.timeoutMs)
    this.maxWait = opts.maxWaitMs ?? 30_000
    if (opts.namespace !== undefined) this.query.namespace = opts.namespace
    if (opts.region !== undefined) this.query.region = opts.region
  }

  private base(verdict: VerdictValue, reason: string, extra: Partial<Verdict> = {}): Verdict {
    return { verdict, reason, evalId: this.opts.evalId, allocations: [], groups: [], diagnoses: [], ...extra }
  }

  private remaining(): number {
    return this.deadline - Date.now()
  }

  private elapsed(): string {
    return `${Math.round((Date.now() - this.start) / 1000)}s`
  }

  /** A GET that blocks when index > 0, for at most min(remaining, maxWait). */
  private async block<T>(path: string, index: number, extra: Query = {}): Promise<{ body: T; index: number }> {
    const waitMs = Math.max(1, Math.min(this.remaining(), this.maxWait))
    const res = await this.client.get<T>(path, { query: { ...this.query, ...extra }, index, waitMs })
    return res
  }

  async run(): Promise<Verdict> {
    const o = this.opts
    const id = o.jobId
    if (o.periodic) {
      return this.base(
        'registered',
        `Periodic job "${id}" registered; Nomad launches it on its schedule${o.nextPeriodicLaunch ? ` (next launch ${o.nextPeriodicLaunch})` : ''}, so there is nothing to follow now.`
      )
    }
    if (o.parameterized) {
      return this.base('registered', `Parameterized job "${id}" registered; it runs when dispatched (nomad job dispatch ${id}), so there is nothing to follow now.`)
    }
    if (o.multiregion) {
      return this.base('registered', `Multiregion job "${id}" registered (evaluation ${o.evalId || 'none'}); multiregion deployments are not followed.`)
    }
    if (!o.evalId) {
      return this.base('registered', `Job "${id}" registered; Nomad created no evaluation, so there is nothing to follow.`)
    }
    if (o.wait === 'none') {
      return this.base('registered', `Job "${id}" registered (evaluation ${o.evalId}); not followed (wait: none).`)
    }

    // 1. Evaluation(s).
    const evalRes = await this.followEval(o.evalId)
    if ('timeout' in evalRes) {
      return this.base('timeout', `Timed out after ${this.elapsed()} waiting for evaluation ${evalRes.lastId} of job "${id}" (last status: ${evalRes.last?.Status ?? 'unknown'}).`)
    }
    const ev = evalRes.eval
    const evalVerdict = this.judgeEval(ev)
    if (evalVerdict) return evalVerdict
    if (o.wait === 'evaluation') {
      return this.base('evaluated', `Evaluation ${ev.ID} of job "${id}" completed; all task groups were placed (wait: evaluation).`)
    }

    // 2. Deployment, or allocations for jobs without one.
    if (o.jobType === 'batch' || o.jobType === 'sysbatch') return this.followAllocations('complete')
    const deploymentId = await this.findDeployment(ev)
    if (deploymentId) return this.followDeployment(deploymentId)
    return this.followAllocations('running')
  }

  private async followEval(evalId: string): Promise<{ eval: Obj } | { timeout: true; last?: Obj; lastId: string }> {
    let id = evalId
    let index = 0
    let last: Obj | undefined
    const seen = new Set<string>()
    for (;;) {
      if (this.remaining() <= 0) return { timeout: true, last, lastId: id }
      const res = await this.block<Obj>(`/v1/evaluation/${encodeURIComponent(id)}`, index)
      const ev = res.body ?? {}
      if (ev.Status !== last?.Status || ev.ID !== last?.ID) core.info(`Evaluation ${short(ev.ID ?? id)}: ${ev.Status}${ev.StatusDescription ? ` (${ev.StatusDescription})` : ''}`)
      last = ev
      if (['complete', 'failed', 'canceled', 'cancelled'].includes(ev.Status)) {
        const failures = ev.FailedTGAllocs && Object.keys(ev.FailedTGAllocs).length
        if (ev.Status === 'complete' && !failures && ev.NextEval && !seen.has(ev.NextEval)) {
          seen.add(ev.NextEval)
          core.info(`Evaluation ${short(ev.ID)} continues in evaluation ${short(ev.NextEval)}`)
          id = ev.NextEval
          index = 0
          continue
        }
        return { eval: ev }
      }
      index = await nextIndex(index, res.index)
    }
  }

  private judgeEval(ev: Obj): Verdict | undefined {
    const id = this.opts.jobId
    if (ev.Status === 'failed' || ev.Status === 'canceled' || ev.Status === 'cancelled') {
      return this.base('failed', `Evaluation ${ev.ID} of job "${id}" ${ev.Status}${ev.StatusDescription ? `: ${ev.StatusDescription}` : ''}.`, { evalId: ev.ID ?? this.opts.evalId })
    }
    const failed: Record<string, AllocationMetric> = ev.FailedTGAllocs ?? {}
    const groups = Object.keys(failed).sort()
    if (groups.length) {
      const words = groups.map((g) => describePlacementFailure(g, failed[g]))
      const blocked = ev.BlockedEval
        ? ` Nomad keeps blocked evaluation ${ev.BlockedEval} and places the allocations when capacity appears; fix the cause or the job stays pending.`
        : ''
      return this.base('failed', `Placement failure for job "${id}": ${words.join('; ')}.${blocked}`, { evalId: ev.ID ?? this.opts.evalId })
    }
    return undefined
  }

  /** eval.DeploymentID, else the job's latest deployment if it is for the registered version. */
  private async findDeployment(ev: Obj): Promise<string | undefined> {
    if (ev.DeploymentID) return ev.DeploymentID
    const { body } = await this.client.get<Obj | null>(`/v1/job/${encodeURIComponent(this.opts.jobId)}/deployment`, { query: this.query })
    if (!body || !body.ID) return undefined
    if (this.opts.jobVersion !== undefined && body.JobVersion !== this.opts.jobVersion) return undefined
    return body.ID
  }

  private async followDeployment(deploymentId: string): Promise<Verdict> {
    const o = this.opts
    let index = 0
    let last: Obj | undefined
    let lastLine = ''
    let promoteSent = false
    let lastUnhealthy = 0
    core.info(`Following deployment ${short(deploymentId)} of job "${o.jobId}"`)
    for (;;) {
      if (this.remaining() <= 0) return this.deploymentTimeout(deploymentId, last)
      const res = await this.block<Obj>(`/v1/deployment/${encodeURIComponent(deploymentId)}`, index)
      const d = res.body ?? {}
      last = d
      const groups = groupHealth(d)
      const line = `Deployment ${short(deploymentId)}: ${d.Status} - ${d.StatusDescription ?? ''} [${groups.map(groupLine).join('; ')}]`
      if (line !== lastLine) core.info(line)
      lastLine = line
      const extra: Partial<Verdict> = {
        deploymentId,
        deploymentStatus: d.Status,
        deploymentDescription: d.StatusDescription,
        groups,
        ...(promoteSent ? { promoted: true } : {})
      }

      if (d.Status === 'successful') {
        const allocs = await this.allocations(d.JobVersion)
        return this.base('healthy', `Deployment ${deploymentId} of job "${o.jobId}" version ${d.JobVersion} is successful: ${groups.map(groupLine).join('; ')}.`, {
          ...extra,
          allocations: allocs.summaries,
          diagnoses: allocs.diagnoses
        })
      }
      if (d.Status === 'failed' || d.Status === 'cancelled') return this.deploymentFailed(deploymentId, d, extra)
      if (d.Status === 'blocked') {
        return this.base('registered', `Deployment ${deploymentId} is blocked waiting for other regions (multiregion); not followed further.`, extra)
      }

      // Running (or paused/pending): canaries waiting for promotion?
      if (awaitingPromotion(d, groups)) {
        const nomadPromotes = /pending automatic promotion/i.test(d.StatusDescription ?? '') || canaryGroups(d).every((g) => g.AutoPromote === true)
        if (!nomadPromotes) {
          if (o.autoPromote && !promoteSent) {
            core.info(`Canaries of deployment ${short(deploymentId)} are healthy; promoting (auto-promote: true)`)
            await this.client.post(`/v1/deployment/promote/${encodeURIComponent(deploymentId)}`, { DeploymentID: deploymentId, All: true }, this.query)
            promoteSent = true
          } else if (!o.autoPromote) {
            const allocs = await this.allocations(d.JobVersion)
            return this.base(
              'awaiting-promotion',
              `Deployment ${deploymentId} of job "${o.jobId}": the canaries are healthy and wait for promotion. Promote with ` +
                `\`nomad deployment promote ${deploymentId}\` (or set the auto-promote input, or update { auto_promote = true } in the job).`,
              { ...extra, allocations: allocs.summaries, diagnoses: allocs.diagnoses }
            )
          }
        }
      }

      // A Vault login failure is a configuration error: rescheduling will not fix it, so stop waiting for the deadline.
      const unhealthy = groups.reduce((n, g) => n + g.unhealthyAllocs, 0)
      if (o.failFastOnVault !== false && o.vaultDiag && unhealthy > lastUnhealthy) {
        lastUnhealthy = unhealthy
        const allocs = await this.allocations(d.JobVersion)
        if (allocs.diagnoses.length && allocs.summaries.some((a) => a.clientStatus === 'failed')) {
          return this.base(
            'failed',
            `Deployment ${deploymentId} of job "${o.jobId}" has allocations that failed on Vault (Nomad keeps rescheduling them until the progress deadline):\n` +
              `${failureLines(allocs.summaries)}\nVault diagnosis: ${allocs.diagnoses.join('\n')}`,
            { ...extra, allocations: allocs.summaries, diagnoses: allocs.diagnoses }
          )
        }
      }
      index = await nextIndex(index, res.index)
    }
  }

  private async deploymentFailed(deploymentId: string, d: Obj, extra: Partial<Verdict>): Promise<Verdict> {
    const desc: string = d.StatusDescription ?? ''
    const allocs = await this.allocations(d.JobVersion)
    const parts: string[] = []
    if (d.Status === 'cancelled') {
      parts.push(`Deployment ${deploymentId} of job "${this.opts.jobId}" was cancelled: ${desc || 'no reason given'}`)
      if (/newer version/i.test(desc)) parts.push('someone registered a newer version of the job while this one was deploying')
    } else {
      parts.push(`Deployment ${deploymentId} of job "${this.opts.jobId}" version ${d.JobVersion} failed: ${desc || 'no reason given'}`)
      if (/progress deadline/i.test(desc)) {
        parts.push('no allocation became healthy within the update block\'s progress_deadline (default 10m): look at the task events below')
      } else if (/unhealthy allocations/i.test(desc)) {
        parts.push('allocations became unhealthy (failed tasks or health checks within healthy_deadline)')
      }
    }
    const rollback = desc.match(/rolling back to job version (\d+)/i)
    const notRolling = /not rolling back/i.test(desc)
    const rollbackVersion = rollback && !notRolling ? Number(rollback[1]) : undefined
    if (rollbackVersion !== undefined) parts.push(`Nomad is rolling back to job version ${rollbackVersion} (auto_revert)`)
    const lines = failureLines(allocs.summaries)
    let reason = parts.join('; ') + '.'
    if (lines) reason += `\n${lines}`
    if (allocs.diagnoses.length) reason += `\nVault diagnosis: ${allocs.diagnoses.join('\n')}`
    return this.base('failed', reason, {
      ...extra,
      allocations: allocs.summaries,
      diagnoses: allocs.diagnoses,
      ...(rollbackVersion !== undefined ? { rollbackVersion } : {})
    })
  }

  private async deploymentTimeout(deploymentId: string, d: Obj | undefined): Promise<Verdict> {
    const allocs = await this.allocations(d?.JobVersion).catch(() => ({ summaries: [] as AllocSummary[], diagnoses: [] as string[] }))
    const groups = d ? groupHealth(d) : []
    let reason =
      `Timed out after ${this.elapsed()} following deployment ${deploymentId} of job "${this.opts.jobId}"; last seen: ` +
      `${d?.Status ?? 'unknown'}${d?.StatusDescription ? ` - ${d.StatusDescription}` : ''}` +
      (groups.length ? ` [${groups.map(groupLine).join('; ')}]` : '') +
      '. The deployment continues in Nomad.'
    reason += pendingHint(allocs.summaries, !!this.opts.vaultDiag)
    const lines = failureLines(allocs.summaries)
    if (lines) reason += `\n${lines}`
    if (allocs.diagnoses.length) reason += `\nVault diagnosis: ${allocs.diagnoses.join('\n')}`
    return this.base('timeout', reason, {
      deploymentId,
      deploymentStatus: d?.Status,
      deploymentDescription: d?.StatusDescription,
      groups,
      allocations: allocs.summaries,
      diagnoses: allocs.diagnoses
    })
  }

  /**
   * Jobs without a deployment: follow the job's allocations (blocking) until
   * - mode 'complete' (batch): all complete → complete; any failed/lost → failed;
   * - mode 'running' (system, or service without update strategy): all running → evaluated; any failed → failed.
   */
  private async followAllocations(mode: 'complete' | 'running'): Promise<Verdict> {
    const o = this.opts
    const expected = o.groupCounts && o.jobType !== 'system' && o.jobType !== 'sysbatch' ? Object.values(o.groupCounts).reduce((a, b) => a + b, 0) : undefined
    let index = 0
    let lastLine = ''
    let current: Obj[] = []
    for (;;) {
      if (this.remaining() <= 0) {
        const summaries = current.map(summariseAlloc)
        const diagnoses = this.diagnose(summaries)
        let reason =
          `Timed out after ${this.elapsed()} waiting for the allocations of job "${o.jobId}" to ${mode === 'complete' ? 'complete' : 'run'}; last seen: ` +
          `${countLine(current) || 'no allocations'}.`
        reason += pendingHint(summaries, !!o.vaultDiag)
        const lines = failureLines(summaries)
        if (lines) reason += `\n${lines}`
        return this.base('timeout', reason, { allocations: summaries, diagnoses })
      }
      const res = await this.block<Obj[]>(`/v1/job/${encodeURIComponent(o.jobId)}/allocations`, index)
      current = this.currentAllocs(res.body ?? [])
      const line = countLine(current)
      if (line && line !== lastLine) core.info(`Allocations of job "${o.jobId}": ${line}`)
      lastLine = line
      const failed = current.filter((a) => a.ClientStatus === 'failed' || a.ClientStatus === 'lost')
      if (failed.length) {
        const summaries = current.map(summariseAlloc)
        const diagnoses = this.diagnose(summaries)
        let reason = `${failed.length} allocation(s) of job "${o.jobId}" failed:\n${failureLines(summaries)}`
        if (failed.some((a) => a.FollowupEvalID)) reason += '\nNomad may reschedule them (reschedule policy), but the step fails on the first failure.'
        if (diagnoses.length) reason += `\nVault diagnosis: ${diagnoses.join('\n')}`
        return this.base('failed', reason, { allocations: summaries, diagnoses })
      }
      const enough = current.length > 0 && (expected === undefined || current.length >= expected)
      if (mode === 'complete' && enough && current.every((a) => a.ClientStatus === 'complete')) {
        return this.base('complete', `All ${current.length} allocation(s) of batch job "${o.jobId}" completed.`, { allocations: current.map(summariseAlloc) })
      }
      if (mode === 'running' && enough && current.every((a) => a.ClientStatus === 'running')) {
        return this.base(
          'evaluated',
          `All ${current.length} allocation(s) of job "${o.jobId}" are running; there is no deployment, so Nomad did not check their health.`,
          { allocations: current.map(summariseAlloc) }
        )
      }
      index = await nextIndex(index, res.index)
    }
  }

  /** Allocations of the registered version that are not replaced and meant to run. */
  private currentAllocs(list: Obj[], version = this.opts.jobVersion): Obj[] {
    return list.filter(
      (a) =>
        (version === undefined || a.JobVersion === version) &&
        !a.NextAllocation &&
        (a.DesiredStatus === 'run' || a.ClientStatus === 'failed' || a.ClientStatus === 'lost' || a.ClientStatus === 'complete')
    )
  }

  private async allocations(version?: number): Promise<{ summaries: AllocSummary[]; diagnoses: string[] }> {
    const { body } = await this.client.get<Obj[]>(`/v1/job/${encodeURIComponent(this.opts.jobId)}/allocations`, { query: this.query })
    const list = (body ?? []).filter((a) => version === undefined || a.JobVersion === version)
    const summaries = list.map(summariseAlloc)
    return { summaries, diagnoses: this.diagnose(summaries) }
  }

  private diagnose(allocs: AllocSummary[]): string[] {
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
async function nextIndex(prev: number, got: number): Promise<number> {
  if (got > 0) return got
  await new Promise((r) => setTimeout(r, 1000))
  return prev
}

function canaryGroups(d: Obj): Obj[] {
  return Object.values((d.TaskGroups ?? {}) as Record<string, Obj>).filter((g) => num(g.DesiredCanaries) > 0 && !g.Promoted)
}

function awaitingPromotion(d: Obj, groups: GroupHealth[]): boolean {
  if (d.Status !== 'running') return false
  // Nomad sets "requires manual promotion" as soon as the deployment is created, before any canary is healthy
  // (the scheduler's reconciler does this when RequiresPromotion()), so the description alone is not enough.
  const canary = groups.filter((g) => g.desiredCanaries > 0 && !g.promoted)
  return canary.length > 0 && canary.every((g) => g.placedCanaries >= g.desiredCanaries && g.healthyAllocs >= g.desiredCanaries)
}

export function groupHealth(d: Obj): GroupHealth[] {
  const tgs = (d?.TaskGroups ?? {}) as Record<string, Obj>
  return Object.keys(tgs)
    .sort()
    .map((name) => {
      const g = tgs[name] ?? {}
      const h: GroupHealth = {
        name,
        desiredTotal: num(g.DesiredTotal),
        placedAllocs: num(g.PlacedAllocs),
        healthyAllocs: num(g.HealthyAllocs),
        unhealthyAllocs: num(g.UnhealthyAllocs),
        desiredCanaries: num(g.DesiredCanaries),
        placedCanaries: Array.isArray(g.PlacedCanaries) ? g.PlacedCanaries.length : 0,
        promoted: g.Promoted === true
      }
      if (typeof g.AutoPromote === 'boolean') h.autoPromote = g.AutoPromote
      if (typeof g.AutoRevert === 'boolean') h.autoRevert = g.AutoRevert
      return h
    })
}

function groupLine(g: GroupHealth): string {
  const canary = g.desiredCanaries > 0 ? `, canaries ${g.placedCanaries}/${g.desiredCanaries}${g.promoted ? ' promoted' : ''}` : ''
  return `${g.name}: ${g.healthyAllocs}/${g.desiredTotal} healthy, ${g.placedAllocs} placed${g.unhealthyAllocs ? `, ${g.unhealthyAllocs} unhealthy` : ''}${canary}`
}

function countLine(allocs: Obj[]): string {
  const counts: Record<string, number> = {}
  for (const a of allocs) counts[a.ClientStatus] = (counts[a.ClientStatus] ?? 0) + 1
  return Object.entries(counts)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ')
}

export function summariseAlloc(a: Obj): AllocSummary {
  const s: AllocSummary = {
    id: String(a.ID ?? ''),
    name: String(a.Name ?? ''),
    taskGroup: String(a.TaskGroup ?? ''),
    clientStatus: String(a.ClientStatus ?? ''),
    desiredStatus: String(a.DesiredStatus ?? ''),
    events: importantEvents(a)
  }
  const ds = a.DeploymentStatus
  if (ds && typeof ds.Healthy === 'boolean') s.healthy = ds.Healthy
  if (ds && typeof ds.Canary === 'boolean') s.canary = ds.Canary
  return s
}

/** The events that explain a problem: failures, kills, restarts, template and hook errors (last 10 per task). */
export function importantEvents(a: Obj): TaskEventSummary[] {
  const out: TaskEventSummary[] = []
  const states = (a.TaskStates ?? {}) as Record<string, Obj>
  for (const task of Object.keys(states).sort()) {
    const events: Obj[] = Array.isArray(states[task]?.Events) ? states[task].Events : []
    const picked: TaskEventSummary[] = []
    for (const e of events) {
      const type = String(e.Type ?? '')
      const message = String(e.DisplayMessage || e.Message || e.DriverError || e.SetupError || e.KillReason || e.ValidationError || e.DownloadError || '')
      const fails = e.FailsTask === true || e.Details?.fails_task === 'true'
      const badExit = type === 'Terminated' && Number(e.ExitCode ?? 0) !== 0
      if (fails || badExit || IMPORTANT_EVENTS.has(type) || /fail|error|denied|unable|missing/i.test(message)) {
        if (type === 'Killing' && !fails && /Sent interrupt|new version|stopped|Allocation was replaced/i.test(message) && !/vault|fail|error/i.test(message)) continue
        picked.push({ task, type, message })
      }
    }
    out.push(...picked.slice(-10))
  }
  return out
}

function failureLines(allocs: AllocSummary[]): string {
  const lines: string[] = []
  for (const a of allocs) {
    const bad = a.clientStatus === 'failed' || a.clientStatus === 'lost' || a.healthy === false || (a.events.length > 0 && a.clientStatus !== 'complete')
    if (!bad) continue
    const head = `- allocation ${a.name || a.id} (${short(a.id)}) ${a.clientStatus}${a.healthy === false ? ', unhealthy' : ''}`
    lines.push(a.events.length ? `${head}:\n${a.events.map((e) => `    task "${e.task}": ${e.type}: ${e.message}`).join('\n')}` : head)
  }
  return lines.join('\n')
}

function pendingHint(allocs: AllocSummary[], hasVault: boolean): string {
  const pending = allocs.filter((a) => a.clientStatus === 'pending')
  if (!pending.length) return ''
  return (
    ` ${pending.length} allocation(s) still pending` +
    (hasVault
      ? ': a task waiting for its Vault token shows no event (e.g. no identity "vault_default" and no server default_identity, nomad#25955); see the cluster check warnings and the client logs.'
      : '.')
  )
}

function short(id: string | undefined): string {
  return id ? String(id).slice(0, 8) : '?'
}

function num(v: unknown): number {
  return typeof v === 'number' && Number.isFinite(v) ? v : 0
}
