/**
 * Cancellation. GitHub cancels a step with SIGINT, then SIGTERM 7.5 s later, then SIGKILL 2.5 s after that
 * (GitHub Actions runner, "cancel-timeout-minutes" docs). On the first SIGINT or SIGTERM the run stops at the next
 * safe point: the Vault write in flight finishes and what was written is put back; a job being followed is left to
 * Nomad. A last-resort timer exits the process before SIGKILL could cut the summary short; before it exits, the
 * work registered with beforeForcedExit() (revoking a Vault token the action obtained) gets its own budget.
 */
import * as core from '@actions/core'
import { ActionError } from './errors.js'

/** The run was cancelled (SIGINT/SIGTERM). */
export class CancelledError extends ActionError {
  constructor(readonly phase: string) {
    super(`The run was cancelled ${phase}.`)
    this.name = 'CancelledError'
  }
}

export interface Cancellation {
  readonly signal: AbortSignal
  /** The signal name once cancelled. */
  readonly reason: string | undefined
  /** Rejects with CancelledError(phase) as soon as the run is cancelled; otherwise settles like `p`. */
  race<T>(p: Promise<T>, phase: string): Promise<T>
  /** Throws CancelledError(phase) when cancelled. */
  check(phase: string): void
  dispose(): void
}

/** The time the forced exit leaves to the work registered with beforeForcedExit(). */
export const FINAL_WORK_MS = 1500

const finalWork = new Set<() => Promise<void>>()

/**
 * Registers work that must still happen when a cancelled run is forced to exit (revoking the Vault token the action
 * obtained: the run's own cleanup may not have reached it). It runs at most once, and within FINAL_WORK_MS. Returns
 * the function that unregisters it (once the run did the work itself).
 */
export function beforeForcedExit(work: () => Promise<void>): () => void {
  finalWork.add(work)
  return () => finalWork.delete(work)
}

/** Runs the registered final work, for at most `ms`. */
export async function runFinalWork(ms: number): Promise<void> {
  const all = [...finalWork]
  finalWork.clear()
  await Promise.race([Promise.allSettled(all.map((w) => w())), new Promise((r) => setTimeout(r, ms).unref())])
}

/**
 * Listens for SIGINT and SIGTERM. `hardExitMs`: exit(1) that long after the first signal, whatever happens; the
 * last FINAL_WORK_MS of it belong to the work registered with beforeForcedExit().
 */
export function watchCancellation(hardExitMs = 5000): Cancellation {
  const controller = new AbortController()
  let reason: string | undefined
  const finalMs = Math.min(FINAL_WORK_MS, hardExitMs / 2)
  const onSignal = (sig: NodeJS.Signals) => {
    if (reason) return // already cancelling (SIGTERM after SIGINT)
    reason = sig
    core.warning(`Received ${sig}: cancelling. Vault writes in flight finish and are put back; a deployment already registered continues in Nomad.`)
    controller.abort(sig)
    setTimeout(async () => {
      core.error(`The run did not stop within ${(hardExitMs - finalMs) / 1000} s of ${sig}: exiting now.`)
      await runFinalWork(finalMs)
      process.exit(core.ExitCode.Failure)
    }, hardExitMs - finalMs).unref()
  }
  process.on('SIGINT', onSignal)
  process.on('SIGTERM', onSignal)
  return {
    signal: controller.signal,
    get reason() {
      return reason
    },
    race<T>(p: Promise<T>, phase: string): Promise<T> {
      if (controller.signal.aborted) return Promise.reject(new CancelledError(phase))
      return new Promise<T>((resolve, reject) => {
        const onAbort = () => reject(new CancelledError(phase))
        controller.signal.addEventListener('abort', onAbort, { once: true })
        p.then(
          (v) => {
            controller.signal.removeEventListener('abort', onAbort)
            resolve(v)
          },
          (e: unknown) => {
            controller.signal.removeEventListener('abort', onAbort)
            reject(e)
          }
        )
      })
    },
    check(phase: string) {
      if (controller.signal.aborted) throw new CancelledError(phase)
    },
    dispose() {
      process.off('SIGINT', onSignal)
      process.off('SIGTERM', onSignal)
    }
  }
}
