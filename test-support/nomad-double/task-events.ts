/**
 * The Nomad test double's client-side records of a task: task events (client/structs TaskEvent with Nomad's display
 * texts), and an allocation's stop (its tasks killed; the freed capacity unblocks evaluations).
 */
import type { Allocation, TaskEvent } from './model.js'
import { isTerminal, nowNs, type State } from './state.js'
import { unblockEvals } from './evals.js'

export function taskEvent(type: string, display: string, extra: Partial<TaskEvent> = {}): TaskEvent {
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

export function addEvent(s: State, a: Allocation, task: string, ev: TaskEvent): void {
  a.TaskStates[task].Events.push(ev)
  s.touchAlloc(a)
}

export function stopAlloc(s: State, a: Allocation, why: string): void {
  a.DesiredStatus = 'stop'
  a.DesiredDescription = why
  s.cancel(s.healthTimers.get(a.ID))
  if (!isTerminal(a)) {
    a.ClientStatus = 'complete'
    a.ClientDescription = 'All tasks have completed'
    for (const [name, ts] of Object.entries(a.TaskStates)) {
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
  unblockEvals(s)
}
