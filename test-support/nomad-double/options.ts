/** The Nomad test double's public types: start options, the handle tests hold, and the records it logs. */
import type { Keyring } from './keyring.js'
import type { Route } from './http.js'
import type { Allocation, Deployment, Job } from './model.js'
import type { DoubleSettings, FailAllocsOptions, RequestLogEntry, SecretRead, VaultLogin } from './settings.js'

export type {
  AclAuthMethod,
  AclAuthMethodConfig,
  AclBindingRule,
  AclLoginOptions,
  AclPolicy,
  AclRole,
  FailAllocsOptions,
  RequestLogEntry,
  SecretRead,
  TaskFailure,
  VaultLogin
} from './settings.js'

export interface NomadDoubleOptions extends DoubleSettings {
  /** Routes added after the built-in ones (see routes/index.ts for adding a route file instead). */
  extraRoutes?: Route[]
}

export interface NomadDouble {
  url: string
  managementToken: string
  keyring: Keyring
  requests: RequestLogEntry[]
  secretReads: SecretRead[]
  vaultLogins: VaultLogin[]
  /** Current Raft-like index (every state change bumps it). */
  readonly index: number
  /**
   * The next allocation placed for jobId fails to start its first task, on every restart ("Driver Failure" events),
   * until the restart policy gives up; a rescheduled replacement starts normally.
   */
  failNextAlloc(jobId: string, message?: string, namespace?: string): void
  /**
   * Like failNextAlloc for the next `times` allocations (default: all from now on), optionally only those of one
   * job version: a crash-looping job that restarts, is rescheduled and fails its deployment at the progress deadline.
   * `recoverable: false`: the driver error is unrecoverable ("Not Restarting" "Error was unrecoverable" at once).
   * `exitCode`: the task starts, then exits with this code on every run ("Terminated" "Exit Code: N") instead.
   */
  failAllocs(jobId: string, message?: string, o?: FailAllocsOptions): void
  /** A client node joins (`nomad node status` shows it ready): blocked evaluations are processed again. */
  addNode(node: { name?: string; datacenter?: string; cpu: number; memoryMB: number }): void
  /** Deployment progress deadline in ms for deployments created from now on (overrides the jobspec). */
  setProgressDeadlineMs(ms: number | undefined): void
  /** Alloc healthy deadline in ms for allocs created from now on (overrides the jobspec). */
  setHealthyDeadlineMs(ms: number | undefined): void
  /** Simulates a concurrent `nomad job run` of the same job with a changed meta key: new version + JobModifyIndex. */
  modifyJobOutOfBand(jobId: string, namespace?: string, mutate?: (job: Job) => void): number
  /** Alias of modifyJobOutOfBand (JobModifyIndex only moves on a spec change, like Nomad). */
  bumpJobModifyIndex(jobId: string, namespace?: string): number
  /** `nomad operator root keyring rotate -now`. */
  rotateKey(): Promise<void>
  /** Resolves when predicate() is true after a state change (or immediately). Rejects after timeoutMs. */
  waitFor(predicate: () => boolean, timeoutMs?: number): Promise<void>
  getJob(jobId: string, namespace?: string): Job | undefined
  allocations(jobId: string, namespace?: string): Allocation[]
  deployments(jobId: string, namespace?: string): Deployment[]
  close(): Promise<void>
}
