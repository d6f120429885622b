/**
 * Allocation summaries and the messages built from them: the task events that explain a problem, one line
 * per failed allocation, and the one "failure lines + Vault diagnosis" ending every failing verdict uses.
 */
import { clip, showOnce } from '../bounds.js'
import type { AllocationListStub, TaskEvent } from './api-types.js'
import type { AllocSummary, TaskEventSummary } from './verdict.js'

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

export function summariseAlloc(a: AllocationListStub): AllocSummary {
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

/**
 * The text of a task event: Nomad fills DisplayMessage, older fields carry the detail for some types. Cut to
 * MESSAGE_LIMIT: a task's own error text can be any size, and it reaches the log, the summary and the outputs.
 */
export function eventMessage(e: TaskEvent): string {
  return clip(String(e.DisplayMessage || e.Message || e.DriverError || e.SetupError || e.KillReason || e.ValidationError || e.DownloadError || ''))
}

/** The allocations in trouble a failing verdict's reason lists; the `allocations` output has all of them. */
export const REASON_ALLOCS = 5

/** The events that explain a problem: failures, kills, restarts, template and hook errors (last 10 per task). */
export function importantEvents(a: AllocationListStub): TaskEventSummary[] {
  const out: TaskEventSummary[] = []
  const states = a.TaskStates ?? {}
  for (const task of Object.keys(states).sort()) {
    const events: TaskEvent[] = Array.isArray(states[task]?.Events) ? (states[task].Events ?? []) : []
    const picked: TaskEventSummary[] = []
    for (const e of events) {
      const type = String(e.Type ?? '')
      const message = eventMessage(e)
      const fails = e.FailsTask === true || e.Details?.fails_task === 'true'
      const badExit = type === 'Terminated' && Number(e.ExitCode ?? 0) !== 0
      if (fails || badExit || IMPORTANT_EVENTS.has(type) || /fail|error|denied|unable|missing/i.test(message)) {
        if (
          type === 'Killing' &&
          !fails &&
          /Sent interrupt|new version|stopped|Allocation was replaced/i.test(message) &&
          !/vault|fail|error/i.test(message)
        )
          continue
        picked.push({ task, type, message })
      }
    }
    out.push(...picked.slice(-10))
  }
  return out
}

/** One line per allocation in trouble, with its telling task events indented below it. */
export function failureLines(allocs: AllocSummary[]): string {
  const lines: string[] = []
  const bad = allocs.filter(
    (a) => a.clientStatus === 'failed' || a.clientStatus === 'lost' || a.healthy === false || (a.events.length > 0 && a.clientStatus !== 'complete')
  )
  const said = new Set<string>()
  for (const a of bad.slice(0, REASON_ALLOCS)) {
    const head = `- allocation ${a.name || a.id} (${short(a.id)}) ${a.clientStatus}${a.healthy === false ? ', unhealthy' : ''}`
    lines.push(
      a.events.length ? `${head}:\n${a.events.map((e) => `    task "${e.task}": ${e.type}: ${showOnce(said, e.message)}`).join('\n')}` : head
    )
  }
  if (bad.length > REASON_ALLOCS) lines.push(`- and ${bad.length - REASON_ALLOCS} more allocation(s) in trouble (see the allocations output)`)
  return lines.join('\n')
}

/** A failing verdict's reason: the headline, then the allocations in trouble, then the Vault diagnosis. */
export function withFailureDetails(headline: string, allocs: AllocSummary[], diagnoses: string[]): string {
  const lines = failureLines(allocs)
  let reason = headline
  if (lines) reason += `\n${lines}`
  if (diagnoses.length) reason += `\nVault diagnosis: ${diagnoses.join('\n')}`
  return reason
}

export function pendingHint(allocs: AllocSummary[], hasVault: boolean): string {
  const pending = allocs.filter((a) => a.clientStatus === 'pending')
  if (!pending.length) return ''
  return (
    ` ${pending.length} allocation(s) still pending` +
    (hasVault
      ? ': a task waiting for its Vault token shows no event (e.g. no identity "vault_default" and no server default_identity, nomad#25955); see the cluster check warnings and the client logs.'
      : '.')
  )
}

/** "2 running, 1 failed" for a list of allocations. */
export function countLine(allocs: AllocationListStub[]): string {
  const counts: Record<string, number> = {}
  for (const a of allocs) counts[a.ClientStatus] = (counts[a.ClientStatus] ?? 0) + 1
  return Object.entries(counts)
    .map(([k, v]) => `${v} ${k}`)
    .join(', ')
}

export function short(id: string | undefined): string {
  return id ? String(id).slice(0, 8) : '?'
}
