/**
 * Cancellation. GitHub cancels a step with SIGINT, then SIGTERM 7.5 s later, then SIGKILL 2.5 s after that
 * (GitHub Actions runner, "cancel-timeout-minutes" docs). On the first SIGINT or SIGTERM the run stops at the next
 * safe point: the Vault write in flight finishes and what was written is put back; a job being followed is left to
 * Nomad. A last-resort timer exits the process before SIGKILL could cut the summary short.
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

/** Listens for SIGINT and SIGTERM. `hardExitMs`: exit(1) that long after the first signal, whatever happens. */
export function watchCancellation(hardExitMs = 5000): Cancellation {
  const controller = new AbortController()
  let reason: string | undefined
  const onSignal = (sig: NodeJS.Signals) => {
    if (reason) return // already cancelling (SIGTERM after SIGINT)
    reason = sig
    core.warning(`Received ${sig}: cancelling. Vault writes in flight finish and are put back; a deployment already registered continues in Nomad.`)
    controller.abort(sig)
    setTimeout(() => {
      core.error(`The run did not stop within ${hardExitMs / 1000} s of ${sig}: exiting now.`)
      process.exit(core.ExitCode.Failure)
    }, hardExitMs).unref()
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
