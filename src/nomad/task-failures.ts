/**
 * Which task failures are permanent, read from the task events of allocations (PURE), so that the action can give
 * a verdict before Nomad's progress deadline (default 10 minutes): a deployment keeps rescheduling failed
 * allocations until that deadline, and a rescheduled allocation fails the same way when the cause is one of these.
 *
 * The event texts are Nomad's (nomad/structs/structs.go `TaskEvent.PopulateEventDisplayMessage`):
 * - `Not Restarting` carries the restart tracker's reason (client/allocrunner/taskrunner/restarts/restarts.go):
 *   "Error was unrecoverable", "Exceeded allowed attempts N in interval D and mode is \"fail\"", "Policy allows no
 *   restarts";
 * - `Driver Failure` carries the driver's error; the docker driver's pull error is "Failed to pull `<image>`: <error>"
 *   (drivers/docker/coordinator.go `recoverablePullError`);
 * - `Terminated` reads "Exit Code: N[, Signal: S][, Exit Message: \"…\"]";
 * - the template hook's `Template` event reads "Missing: vault.read(<path>), …" while a dependency has no data
 *   (client/allocrunner/taskrunner/template/template.go).
 */
import { short } from './alloc-summary.js'
import type { AllocSummary, TaskEventSummary } from './verdict.js'

export type PermanentKind = 'image' | 'unrecoverable' | 'crash-loop'

export interface PermanentFailure {
  kind: PermanentKind
  allocId: string
  allocName: string
  task: string
  /** What is wrong, in words. */
  problem: string
  /** How to fix it. */
  fix: string
}

export interface TemplateWait {
  allocId: string
  allocName: string
  task: string
  /** The dependencies the template waits for, e.g. `vault.read(secret/data/default/web/config)`. */
  missing: string[]
}

/** Events that explain why a task could not start (the cause of an unrecoverable error). */
const START_FAILURES = new Set(['Driver Failure', 'Setup Failure', 'Failed Validation', 'Task hook failed', 'Failed Artifact Download'])

/** Tasks whose restart policy gave up for a reason that a rescheduled allocation would meet again. */
export function permanentFailures(allocs: AllocSummary[]): PermanentFailure[] {
  const out: PermanentFailure[] = []
  for (const a of allocs) {
    for (const [task, events] of byTask(a.events)) {
      const f = judgeTask(a, task, events)
      if (f) out.push(f)
    }
  }
  return out
}

function judgeTask(a: AllocSummary, task: string, events: TaskEventSummary[]): PermanentFailure | undefined {
  const last = lastIndex(events, (e) => e.type === 'Not Restarting')
  if (last < 0) return undefined
  const reason = events[last].message
  const before = events.slice(0, last)
  const where = { allocId: a.id, allocName: a.name, task }
  const at = `task "${task}" of allocation ${a.name || a.id} (${short(a.id)})`
  const starts = before.filter((e) => START_FAILURES.has(e.type))
  const cause = starts[starts.length - 1]?.message ?? ''
  const gaveUp = /Exceeded allowed attempts|Policy allows no restarts/i.test(reason)
  const unrecoverable = /Error was unrecoverable/i.test(reason)

  // A pull that failed for want of the image or of credentials fails the same way on any node; a timeout may not.
  const pull = /Failed to pull `([^`]+)`: ?([\s\S]*)/.exec(cause)
  if (pull && (unrecoverable || (gaveUp && (NOT_FOUND.test(pull[2]) || DENIED.test(pull[2]))))) {
    const [, image, why] = pull
    return {
      kind: 'image',
      ...where,
      problem: `the Nomad client could not pull image \`${image}\` for ${at} (${why.trim() || 'no reason given'}); Nomad stopped restarting the task: ${reason}`,
      fix: pullFix(image, why)
    }
  }
  if (unrecoverable) {
    return {
      kind: 'unrecoverable',
      ...where,
      problem:
        `${at} could not start: ${cause || 'no start error recorded'}. Nomad marked the error unrecoverable, so it does not restart the task, ` +
        'and a rescheduled allocation would fail the same way',
      fix: "fix what the error names in the task's driver configuration (image, command, user, volumes, artifact) and deploy again"
    }
  }
  const exits = before.filter((e) => e.type === 'Terminated').map((e) => exitCode(e.message))
  if (gaveUp && !starts.length && exits.length >= 2 && exits.every((c) => c !== undefined && c !== 0 && c === exits[0])) {
    const code = exits[0] as number
    return {
      kind: 'crash-loop',
      ...where,
      problem:
        `${at} exited with code ${code} each time it started (${exits.length} times), so Nomad stopped restarting it (${reason}); ` +
        'rescheduling it would crash it again',
      fix: `read the task's output with \`nomad alloc logs -stderr ${a.id} ${task}\`${exitHint(code)}, fix the cause and deploy again`
    }
  }
  return undefined
}

/** Tasks of pending allocations whose template still waits for data (the latest event of the task). */
export function templateWaits(allocs: AllocSummary[]): TemplateWait[] {
  const out: TemplateWait[] = []
  for (const a of allocs) {
    if (a.clientStatus !== 'pending') continue
    for (const [task, events] of byTask(a.events)) {
      const e = events[events.length - 1]
      if (e?.type !== 'Template' || !e.message.startsWith('Missing: ')) continue
      out.push({ allocId: a.id, allocName: a.name, task, missing: e.message.slice('Missing: '.length).split(', ') })
    }
  }
  return out
}

/** One sentence for a template wait: what it waits for and what Nomad does next. */
export function describeTemplateWait(w: TemplateWait): string {
  const quoted = (re: RegExp) =>
    w.missing
      .map((m) => re.exec(m)?.[1])
      .filter((p): p is string => !!p)
      .map((p) => `"${p}"`)
  const reads = quoted(/^vault\.read\((.+)\)$/)
  // a `secret` call with key=value parameters is a write: consul-template names it vault.write(<path> -> <hash>)
  const writes = quoted(/^vault\.write\((\S+) -> [0-9a-f]+\)$/)
  const parts = [reads.length ? `Vault secret(s) ${reads.join(', ')}` : '', writes.length ? `Vault write(s) to ${writes.join(', ')}` : '']
  const what = reads.length || writes.length ? parts.filter(Boolean).join(' and ') : w.missing.join(', ')
  return (
    `Task "${w.task}" of allocation ${w.allocName || w.allocId} (${short(w.allocId)}) waits for ${what} (Template: Missing: ${w.missing.join(', ')}). ` +
    'Nomad retries for about 5 minutes (client template vault_retry: 12 attempts, backoff up to 1 minute), then kills the task with ' +
    '"Template failed". Check that the secret exists at that path and that the task\'s Vault policies grant read on it' +
    (writes.length ? ' (update for a write).' : '.')
  )
}

const NOT_FOUND = /manifest unknown|not found|does not exist|no such image|name unknown/i
const DENIED = /unauthorized|authentication required|denied|forbidden|credentials/i

function pullFix(image: string, why: string): string {
  if (NOT_FOUND.test(why)) {
    return `check the image name and tag in the task's config { image = "${image}" }: the registry has no such image or tag (a typo, or a tag not pushed yet)`
  }
  if (DENIED.test(why)) {
    return `give the Nomad clients credentials for the registry of \`${image}\` (the task's config { auth { … } } or the docker plugin's auth config), or check the repository name`
  }
  return `check that the Nomad clients can reach the registry of \`${image}\` and that the image exists`
}

function exitHint(code: number): string {
  if (code === 137) return ' (137 = killed by SIGKILL, often out of memory: raise resources { memory })'
  if (code === 127) return ' (127 = command not found in the image)'
  if (code === 126) return ' (126 = the command is not executable)'
  return ''
}

function exitCode(message: string): number | undefined {
  const m = /^Exit Code: (-?\d+)/.exec(message)
  return m ? Number(m[1]) : undefined
}

function byTask(events: TaskEventSummary[]): Map<string, TaskEventSummary[]> {
  const m = new Map<string, TaskEventSummary[]>()
  for (const e of events) m.set(e.task, [...(m.get(e.task) ?? []), e])
  return m
}

function lastIndex<T>(xs: T[], p: (x: T) => boolean): number {
  for (let i = xs.length - 1; i >= 0; i--) if (p(xs[i])) return i
  return -1
}
