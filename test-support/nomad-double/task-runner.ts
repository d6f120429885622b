/**
 * The Nomad test double's client task runner: allocation start, task events, task failure, stop, batch completion.
 * The Vault login and template reads before a task starts are in vault-hook.ts.
 */
import type { Obj } from './options.js'
import { isTerminal, nowNs, type JobRecord, type State } from './state.js'
import { setAllocHealth } from './deployments.js'
import { vaultPrestart } from './vault-hook.js'

export function taskEvent(type: string, display: string, extra: Obj = {}): Obj {
  const details: Record<string, string> = {}
  if (extra.FailsTask) details.fails_task = 'true'
  return {
    Type: type,
    Time: nowNs(),
    Message: extra.Message ?? '',
    DisplayMessage: display,
    Details: Object.keys(details).length ? details : {},
    FailsTask: false,
    RestartReason: '',
    SetupError: '',
    DriverError: '',
    DriverMessage: '',
    ExitCode: 0,
    Signal: 0,
    KillReason: '',
    KillTimeout: 0,
    KillError: '',
    StartDelay: 0,
    DownloadError: '',
    ValidationError: '',
    DiskLimit: 0,
    FailedSibling: '',
    VaultError: '',
    TaskSignalReason: '',
    TaskSignal: '',
    GenericSource: '',
    ...extra
  }
}


export function addEvent(s: State, a: Obj, task: string, ev: Obj): void {
  a.TaskStates[task].Events.push(ev)
  s.touchAlloc(a)
}

export function stopAlloc(s: State, a: Obj, why: string): void {
  a.DesiredStatus = 'stop'
  a.DesiredDescription = why
  s.cancel(s.healthTimers.get(a.ID))
  if (!isTerminal(a)) {
    a.ClientStatus = 'complete'
    a.ClientDescription = 'All tasks have completed'
    for (const [name, ts] of Object.entries(a.TaskStates as Obj)) {
      if (ts.State !== 'dead') {
        ts.Events.push(taskEvent('Killing', 'Sent interrupt. Waiting 5s before force killing'))
        ts.Events.push(taskEvent('Killed', 'Task successfully killed'))
        ts.State = 'dead'
        ts.FinishedAt = new Date().toISOString()
      }
      void name
    }
  }
  s.touchAlloc(a)
}

export function failTask(s: State, a: Obj, task: string, ev: Obj): void {
  const ts = a.TaskStates[task]
  ts.Events.push(ev)
  ts.Failed = true
  ts.State = 'dead'
  ts.FinishedAt = new Date().toISOString()
  // siblings are killed
  for (const [name, other] of Object.entries(a.TaskStates as Obj)) {
    if (name === task || other.State === 'dead') continue
    other.Events.push(taskEvent('Sibling Task Failed', `Task's sibling "${task}" failed`, { FailedSibling: task }))
    other.State = 'dead'
    other.FinishedAt = new Date().toISOString()
  }
  a.ClientStatus = 'failed'
  a.ClientDescription = 'Failed tasks'
  s.cancel(s.healthTimers.get(a.ID))
  s.touchAlloc(a)
  if (a.DeploymentStatus && a.DeploymentStatus.Healthy === null) setAllocHealth(s, a, false)
  const rec = s.findJob(a.Namespace, a.JobID)
  if (rec && rec.current.Type === 'batch') maybeBatchDone(s, rec)
}

export async function startAlloc(s: State, allocId: string, job: Obj, tg: Obj, scriptedFailure: string | undefined): Promise<void> {
  const a = s.allocs.get(allocId)
  if (!a || a.DesiredStatus !== 'run' || isTerminal(a)) return
  for (const t of tg.Tasks ?? []) addEvent(s, a, t.Name, taskEvent('Task Setup', 'Building Task Directory', { Message: 'Building Task Directory' }))
  for (const t of tg.Tasks ?? []) {
    if (!t.Vault) continue
    const outcome = await vaultPrestart(s, a, job, tg, t)
    if (s.closed || a.DesiredStatus !== 'run') return
    if (outcome === 'failed') return
    if (outcome === 'waiting') return // recoverable: alloc stays pending, no event (client/allocrunner/taskrunner/vault_hook.go)
  }
  if (scriptedFailure !== undefined) {
    const t = tg.Tasks[0]
    failTask(s, 
      a,
      t.Name,
      taskEvent('Driver Failure', scriptedFailure, { DriverError: scriptedFailure, FailsTask: true, Details: { fails_task: 'true', driver_error: scriptedFailure } })
    )
    return
  }
  for (const t of tg.Tasks ?? []) {
    const ts = a.TaskStates[t.Name]
    ts.State = 'running'
    ts.StartedAt = new Date().toISOString()
    ts.Events.push(taskEvent('Started', 'Task started by client'))
  }
  a.ClientStatus = 'running'
  a.ClientDescription = 'Tasks are running'
  s.touchAlloc(a)
  const rec = s.findJob(a.Namespace, a.JobID)
  if (rec && rec.current.Status === 'pending' && rec.current.Version === a.JobVersion) s.setJobStatus(rec, 'running')
  s.later(s.healthyAfterMs, () => {
    if (a.DesiredStatus !== 'run' || isTerminal(a)) return
    if (job.Type === 'batch') {
      for (const t of tg.Tasks ?? []) {
        const ts = a.TaskStates[t.Name]
        ts.Events.push(taskEvent('Terminated', 'Exit Code: 0', { ExitCode: 0, Details: { exit_code: '0', signal: '0', oom_killed: 'false' } }))
        ts.State = 'dead'
        ts.FinishedAt = new Date().toISOString()
      }
      a.ClientStatus = 'complete'
      a.ClientDescription = 'All tasks have completed'
      s.touchAlloc(a)
      if (rec) maybeBatchDone(s, rec)
    } else if (a.DeploymentStatus) {
      setAllocHealth(s, a, true)
    }
  })
}

export function maybeBatchDone(s: State, rec: JobRecord): void {
  if (s.liveAllocs(rec.namespace, rec.id).length === 0) s.setJobStatus(rec, 'dead')
}


