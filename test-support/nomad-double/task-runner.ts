/**
 * The Nomad test double's client task runner: allocation start, task failure, restarts, batch completion. The Vault
 * login and template fetches before a task starts are in vault-hook.ts; task events and an allocation's stop in
 * task-events.ts.
 */
import { runsToCompletion, type Allocation, type Job, type Task, type TaskEvent, type TaskGroup } from './model.js'
import { isTerminal, type JobRecord, type State } from './state.js'
import { setAllocHealth } from './deployments.js'
import { unblockEvals } from './evals.js'
import { taskGroupsUpdate } from './reconcile.js'
import { maybeReschedule } from './scheduler.js'
import { addEvent, taskEvent } from './task-events.js'
import { vaultPrestart } from './vault-hook.js'
import { goDuration, restartDelay, restartPolicy } from './policies.js'

export function failTask(s: State, a: Allocation, task: string, ev: TaskEvent): void {
  const ts = a.TaskStates[task]
  ts.Events.push(ev)
  ts.Failed = true
  ts.State = 'dead'
  ts.FinishedAt = new Date().toISOString()
  // siblings are killed
  for (const [name, other] of Object.entries(a.TaskStates)) {
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
  maybeReschedule(s, a)
  unblockEvals(s)
  const rec = s.findJob(a.Namespace, a.JobID)
  if (rec && runsToCompletion(rec.current.Type) && !a.FollowupEvalID) maybeBatchDone(s, rec)
}

export async function startAlloc(s: State, allocId: string, job: Job, tg: TaskGroup): Promise<void> {
  const a = s.allocs.get(allocId)
  if (!a || a.DesiredStatus !== 'run' || isTerminal(a)) return
  for (const t of tg.Tasks ?? []) addEvent(s, a, t.Name, taskEvent('Task Setup', 'Building Task Directory', { Message: 'Building Task Directory' }))
  for (const t of tg.Tasks ?? []) {
    if (!t.Vault) continue
    const outcome = await vaultPrestart(s, a, job, tg, t)
    if (typeof outcome === 'object' && !s.closed) return failTask(s, a, t.Name, outcome.kill)
    if (s.closed || a.DesiredStatus !== 'run') return
    if (outcome === 'failed') return
    if (outcome === 'waiting') return // recoverable: alloc stays pending, no event (client/allocrunner/taskrunner/vault_hook.go)
  }
  runTasks(s, a, job, tg)
}

/**
 * The driver starts the tasks. A start failure (a scripted one, or a docker image the registry lacks) fails the task's
 * start on every attempt with "Driver Failure"; a scripted exit code lets the task start and then exit with
 * "Terminated" "Exit Code: N" on every run. Either way the restart tracker decides what follows (restartOrFail).
 */
function runTasks(s: State, a: Allocation, job: Job, tg: TaskGroup): void {
  if (a.DesiredStatus !== 'run' || isTerminal(a)) return
  const scripted = s.allocFailures.get(a.ID)
  const pull = pullFailure(s, tg)
  const startError = pull ?? (scripted && scripted.exitCode === undefined ? { task: tg.Tasks[0], ...scripted } : undefined)
  if (startError) {
    const ts = a.TaskStates[startError.task.Name]
    ts.Events.push(
      taskEvent('Driver Failure', startError.message, { DriverError: startError.message, Details: { driver_error: startError.message } })
    )
    return restartOrFail(s, a, job, tg, startError.task, !startError.recoverable)
  }
  for (const t of tg.Tasks ?? []) {
    const ts = a.TaskStates[t.Name]
    if (ts.State === 'running') continue
    ts.State = 'running'
    ts.StartedAt = new Date().toISOString()
    ts.Events.push(taskEvent('Started', 'Task started by client'))
  }
  a.ClientStatus = 'running'
  a.ClientDescription = 'Tasks are running'
  s.touchAlloc(a)
  const rec = s.findJob(a.Namespace, a.JobID)
  if (rec && rec.current.Status === 'pending' && rec.current.Version === a.JobVersion) s.setJobStatus(rec, 'running')
  if (scripted?.exitCode !== undefined) {
    // a crash loop: the first task exits before it could become healthy
    const code = scripted.exitCode
    s.later(s.allocStartMs, () => taskExited(s, a, job, tg, tg.Tasks[0], code))
    return
  }
  // healthy once checks pass (healthyAfterMs) and the tasks have run for min_healthy_time (scaled)
  const minHealthy = job.Type === 'service' ? s.scaledMs(taskGroupsUpdate(job, tg).MinHealthyTime ?? 0) : 0
  s.later(Math.max(s.healthyAfterMs, minHealthy), () => {
    if (a.DesiredStatus !== 'run' || isTerminal(a)) return
    if (runsToCompletion(job.Type)) {
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

/**
 * The docker driver's pull error for a task whose image the registry lacks (drivers/docker/coordinator.go
 * `recoverablePullError`: "Failed to pull `<image>`: <daemon error>", recoverable unless the daemon's text matches
 * `Error: image .+ not found`; a current daemon answers "manifest … not found: manifest unknown", so it is recoverable).
 */
function pullFailure(s: State, tg: TaskGroup): { task: Task; message: string; recoverable: boolean } | undefined {
  for (const t of tg.Tasks ?? []) {
    const image = t.Driver === 'docker' ? String(t.Config?.image ?? '') : ''
    if (!image || !s.missingImages.has(image)) continue
    const ref = /[:@]/.test(image.split('/').pop() ?? '') ? image : `${image}:latest`
    const message = `Failed to pull \`${image}\`: Error response from daemon: manifest for ${ref} not found: manifest unknown: manifest unknown`
    return { task: t, message, recoverable: true }
  }
  return undefined
}

/** The task's process exited with a code: "Terminated", then the restart tracker decides. */
function taskExited(s: State, a: Allocation, job: Job, tg: TaskGroup, t: Task, code: number): void {
  if (a.DesiredStatus !== 'run' || isTerminal(a)) return
  const ts = a.TaskStates[t.Name]
  ts.Events.push(
    taskEvent('Terminated', `Exit Code: ${code}`, { ExitCode: code, Details: { exit_code: String(code), signal: '0', oom_killed: 'false' } })
  )
  restartOrFail(s, a, job, tg, t, false)
}

/**
 * The restart tracker after a failed start or a non-zero exit (client/allocrunner/taskrunner/restarts/restarts.go
 * `GetState`): no attempts → "Policy allows no restarts"; an unrecoverable start error → "Error was unrecoverable";
 * more failures than attempts → "Exceeded allowed attempts N in interval D and mode is \"fail\"" (mode fail) or a
 * delay to the interval's end (mode delay); else "Restarting" after the delay plus jitter. "Not Restarting" fails the
 * task (FailsTask). The Restarting event's DisplayMessage names the reason only when it is not "Restart within
 * policy" (nomad/structs/structs.go `PopulateEventDisplayMessage`).
 */
function restartOrFail(s: State, a: Allocation, job: Job, tg: TaskGroup, t: Task, unrecoverable: boolean): void {
  const ts = a.TaskStates[t.Name]
  const policy = restartPolicy(job, tg)
  const notRestarting = (reason: string) =>
    failTask(
      s,
      a,
      t.Name,
      taskEvent('Not Restarting', reason, { RestartReason: reason, FailsTask: true, Details: { fails_task: 'true', restart_reason: reason } })
    )
  if (policy.Attempts === 0) return notRestarting('Policy allows no restarts')
  if (unrecoverable) return notRestarting('Error was unrecoverable')
  if (ts.Restarts >= policy.Attempts && policy.Mode === 'fail') {
    return notRestarting(`Exceeded allowed attempts ${policy.Attempts} in interval ${goDuration(policy.Interval)} and mode is "fail"`)
  }
  const delayed = ts.Restarts >= policy.Attempts
  const delay = delayed ? policy.Interval : restartDelay(policy)
  const reason = delayed ? 'Exceeded allowed attempts, applying a delay' : 'Restart within policy'
  const display = delayed ? `${reason} - Task restarting in ${goDuration(delay)}` : `Task restarting in ${goDuration(delay)}`
  ts.Events.push(
    taskEvent('Restarting', display, { RestartReason: reason, StartDelay: delay, Details: { restart_reason: reason, start_delay: String(delay) } })
  )
  ts.State = 'pending'
  ts.Restarts++
  ts.LastRestart = new Date().toISOString()
  if (a.ClientStatus === 'running' && Object.values(a.TaskStates).every((x) => x.State !== 'running')) {
    a.ClientStatus = 'pending'
    a.ClientDescription = 'No tasks have started'
  }
  s.touchAlloc(a)
  s.later(s.scaledMs(delay), () => runTasks(s, a, job, tg))
}

export function maybeBatchDone(s: State, rec: JobRecord): void {
  if (s.liveAllocs(rec.namespace, rec.id).length === 0) s.setJobStatus(rec, 'dead')
}
