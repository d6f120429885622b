/**
 * The job summary a person reads: what changed in Vault (before → after), the agent blocks to use,
 * and for each job the plan, the verdict and per-group health. Pure: builds Markdown; main.ts writes it.
 */
import { clip, showOnce, SUMMARY_LIMIT } from '../bounds.js'
import type { RoleSettings } from '../config.js'
import type { JobResult } from '../nomad/result.js'
import { roleNamespaces } from '../role-choice.js'
import { fitSummary } from './summary-fit.js'

export interface SummaryChange {
  resource: string
  action: string
  path: string
  diff: { field: string; before: unknown; after: unknown }[]
}

/** What the summary shows of a job: a view of the one JobResult shape, not a copy of it. */
export type SummaryJob = Pick<JobResult, 'file' | 'jobId' | 'verdict'> &
  Partial<
    Pick<
      JobResult,
      'namespace' | 'jobVersion' | 'reason' | 'deploymentStatus' | 'plan' | 'groups' | 'allocations' | 'injectedTasks' | 'warnings' | 'role'
    >
  >

export interface SummaryInput {
  dryRun: boolean
  vault: {
    addr: string
    authPath: string
    accessor: string
    keySource: string
    /** Every declared role, in input order (never empty): one is shown with its policies, several with their namespaces. */
    roles: Pick<RoleSettings, 'name' | 'policy' | 'boundClaims'>[]
    changes: SummaryChange[]
    /** After a failed or cancelled run that wrote to Vault: what the rollback did to each written object. */
    rollback?: { path: string; outcome: string; reason?: string; fix?: string }[]
    /** Replaces "No changes" when the run stopped before Vault was reconciled (e.g. "Nothing was written to Vault."). */
    note?: string
    /** Managed roles and policies no longer declared (kept without prune). */
    undeclared?: SummaryChange[]
    prune?: boolean
  }
  serverBlock: string
  clientBlock: string
  jobs: SummaryJob[]
  /** Release metadata (Job.Meta) and the facts of this run (run ID, URL, attempt, actor), shown, never in Job.Meta. */
  release?: Record<string, string>
  error?: string
  /** The plan-id of what this run planned (expected-plan takes it to apply exactly this plan). */
  planId?: string
}

const esc = (s: string): string => s.replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>')
const show = (v: unknown): string => {
  if (v === undefined || v === null || v === '') return '_(none)_'
  const s = typeof v === 'string' ? v : JSON.stringify(v)
  return '`' + esc(s.length > 120 ? s.slice(0, 117) + '…' : s).replace(/`/g, "'") + '`'
}

/** The unhealthy allocations listed per job; the `allocations` output has all of them. */
const SUMMARY_ALLOCS = 10
/** Verdicts whose detail comes first when not every job's detail fits. */
const FAILING = new Set(['failed', 'timeout', 'unknown'])

const VERDICT_ICON: Record<string, string> = {
  healthy: '✅',
  complete: '✅',
  registered: '☑️',
  evaluated: '☑️',
  planned: '📝',
  unchanged: '🟰',
  'awaiting-promotion': '⏸️',
  failed: '❌',
  timeout: '⏱️'
}

/**
 * The summary Markdown, at most `limit` bytes (GitHub drops a larger one whole): see fitSummary for what is cut
 * first. Every message in it is at most MESSAGE_LIMIT long.
 */
export function buildSummary(s: SummaryInput, limit: number = SUMMARY_LIMIT): string {
  return fitSummary(
    {
      title: `## Nomad workload identity${s.dryRun ? ' (dry run: nothing was changed)' : ''}`,
      head: headLines(s),
      agent: agentLines(s),
      verdicts: s.jobs.length > 1 ? verdictRows(s.jobs) : [],
      details: s.jobs.map((j) => ({ fails: FAILING.has(j.verdict), text: jobSection(j).join('\n') }))
    },
    limit
  )
}

/** The caution, the Vault section and the release facts. */
function headLines(s: SummaryInput): string[] {
  const out: string[] = []
  if (s.error) out.push('', `> [!CAUTION]`, `> ${esc(clip(s.error))}`)
  if (s.planId) out.push('', `**Plan:** \`${s.planId}\` (give it as \`expected-plan\` to apply exactly this plan)`)

  out.push('', '### Vault', '')
  out.push('| | |', '|---|---|')
  out.push(`| Vault | ${show(s.vault.addr)} |`)
  out.push(`| Auth method | ${show(s.vault.authPath)} (accessor ${show(s.vault.accessor)}) |`)
  const roles = s.vault.roles
  if (roles.length > 1) {
    for (const r of roles) {
      const namespaces = roleNamespaces(r)
      out.push(`| Role ${show(r.name)} | policies ${show(r.policy)}; namespaces ${namespaces ? namespaces.map(show).join(', ') : 'any'} |`)
    }
  } else {
    out.push(`| Role | ${show(roles[0].name)} |`)
    out.push(`| Policies | ${show(roles[0].policy)} |`)
  }
  out.push(`| Key source | ${show(s.vault.keySource)} |`)
  out.push('')
  if (s.vault.changes.length === 0) {
    out.push(s.vault.note ?? 'No changes: Vault already matched the desired state.')
  } else {
    out.push(`${s.vault.changes.length} change(s) ${s.dryRun ? 'would be made' : 'made'}:`, '')
    out.push('| Resource | Action | Field | Before | After |', '|---|---|---|---|---|')
    for (const ch of s.vault.changes) {
      if (ch.diff.length === 0) out.push(`| ${show(ch.path)} | ${ch.action} | | | |`)
      for (const [i, d] of ch.diff.entries()) {
        out.push(`| ${i === 0 ? show(ch.path) : ''} | ${i === 0 ? ch.action : ''} | ${esc(d.field)} | ${show(d.before)} | ${show(d.after)} |`)
      }
    }
  }

  const undeclared = s.vault.undeclared ?? []
  if (undeclared.length > 0) {
    out.push('', `Managed but no longer declared: ${undeclared.map((c) => `${c.resource} ${show(c.path)}`).join(', ')}.`)
    out.push(
      s.vault.prune
        ? s.dryRun
          ? 'prune: true would remove them.'
          : 'prune: true removes them (see the changes).'
        : 'Kept: set prune: true to remove them.'
    )
  }
  if (s.vault.rollback && s.vault.rollback.length > 0) out.push('', ...rollbackSection(s.vault.rollback))
  const release = Object.entries(s.release ?? {})
  if (release.length > 0) {
    out.push('', '### Release', '', '| | |', '|---|---|')
    for (const [k, v] of release) out.push(`| ${esc(k)} | ${show(v)} |`)
  }
  return out
}

function agentLines(s: SummaryInput): string[] {
  const out: string[] = []
  out.push('', '### Nomad agent configuration', '')
  out.push('<details><summary>Servers</summary>', '', '```hcl', s.serverBlock.trimEnd(), '```', '</details>', '')
  out.push('<details><summary>Clients</summary>', '', '```hcl', s.clientBlock.trimEnd(), '```', '</details>')
  return out
}

/** One row per job, for a run of several jobs: the table a cut summary keeps. */
function verdictRows(jobs: SummaryJob[]): string[] {
  return jobs.map((j) => `| ${show(j.jobId)} | ${VERDICT_ICON[j.verdict] ?? ''} ${j.verdict} | ${show(j.file)} |`)
}

/** The detail of one job: plan, deployment health, unhealthy allocations, warnings. */
function jobSection(j: SummaryJob): string[] {
  const out: string[] = []
  out.push('', `### Job ${show(j.jobId)} ${VERDICT_ICON[j.verdict] ?? ''} ${j.verdict}`, '')
  out.push(
    `From ${show(j.file)}${j.namespace ? ` in namespace ${show(j.namespace)}` : ''}${j.jobVersion !== undefined ? `, version ${j.jobVersion}` : ''}.`
  )
  if (j.reason) out.push('', esc(clip(j.reason)))
  if (j.role) out.push('', `Vault role: ${show(j.role)}.`)
  if (j.injectedTasks && j.injectedTasks.length > 0) out.push('', `Vault block injected into: ${j.injectedTasks.map(show).join(', ')}.`)
  const groups = j.plan?.groups ?? []
  if (groups.length > 0) {
    out.push('', '| Group | Create | In place | Destructive | Stop | Canary | Placement |', '|---|---|---|---|---|---|---|')
    for (const g of groups) {
      out.push(
        `| ${esc(g.name)} | ${g.create ?? 0} | ${g.inPlace ?? 0} | ${g.destructive ?? 0} | ${g.stop ?? 0} | ${g.canary ?? 0} | ${g.placementFailures ? esc(g.placementFailures) : 'ok'} |`
      )
    }
  }
  if (j.groups && j.groups.length > 0) {
    out.push('', '| Group | Desired | Placed | Healthy | Unhealthy | Canaries |', '|---|---|---|---|---|---|')
    for (const g of j.groups) {
      out.push(
        `| ${esc(g.name)} | ${g.desiredTotal ?? 0} | ${g.placedAllocs ?? 0} | ${g.healthyAllocs ?? 0} | ${g.unhealthyAllocs ?? 0} | ${g.desiredCanaries ? `${g.desiredCanaries}${g.promoted ? ' (promoted)' : ''}` : '-'} |`
      )
    }
  }
  const bad = (j.allocations ?? []).filter((a) => a.clientStatus === 'failed' || a.healthy === false)
  if (bad.length > 0) {
    out.push('', '<details open><summary>Unhealthy allocations</summary>', '')
    const said = new Set<string>()
    for (const a of bad.slice(0, SUMMARY_ALLOCS)) {
      out.push(`- ${show(a.id.slice(0, 8))} (${esc(a.taskGroup)}, ${a.clientStatus})`)
      for (const e of a.events ?? []) out.push(`  - ${esc(e.task)}: **${esc(e.type)}** ${esc(showOnce(said, clip(e.message)))}`)
    }
    if (bad.length > SUMMARY_ALLOCS) out.push(`- and ${bad.length - SUMMARY_ALLOCS} more (see the \`allocations\` output)`)
    out.push('', '</details>')
  }
  for (const w of j.warnings ?? []) out.push('', `> [!WARNING]`, `> ${esc(clip(w))}`)
  return out
}

/** What a failed run did to each object it had written: put back, or kept with the reason and the fix. */
function rollbackSection(entries: NonNullable<SummaryInput['vault']['rollback']>): string[] {
  const kept = entries.filter((e) => e.outcome === 'kept')
  const out = [
    kept.length === 0
      ? '**Rolled back:** the run failed after writing, and every object it wrote was put back as it was before the run.'
      : `**Rollback incomplete:** ${kept.length} object(s) could not be put back as they were before the run.`,
    ''
  ]
  for (const e of entries) {
    out.push(`- ${show(e.path)}: ${e.outcome}${e.reason ? ` (${esc(e.reason)})` : ''}`)
    if (e.fix) out.push('', '  ```sh', ...e.fix.split('\n').map((l) => `  ${l}`), '  ```', '')
  }
  return out
}
