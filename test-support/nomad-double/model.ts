/**
 * The double's records, typed: Nomad's JSON shapes with the Go API module's field names
 * (github.com/hashicorp/nomad/api, MPL-2.0: jobs.go, tasks.go, evaluations.go, allocations.go, deployments.go).
 * Each type names the fields the double reads or writes; every other field a client sends passes through unread
 * (`unknown`). JSON the double has not built itself (request bodies, HCL converted to JSON) is `Json` until checked.
 */
import type * as api from './api-job.js'

/** A JSON object nothing is known about yet: read its fields with narrowing. */
export type Json = Record<string, unknown>

/**
 * The leaf blocks as the parse answer types them (api-job.ts), loosened for stored records: every field optional
 * (a client may send any subset) and any other field passed through unread. A registered template's paths may be
 * null (Nomad's JSON for an unset string pointer).
 */
type Stored<T> = Partial<T> & { [field: string]: unknown }

export type WorkloadIdentity = Stored<api.WorkloadIdentity>
export type VaultBlock = Stored<api.Vault>
export type Template = Stored<Omit<api.Template, 'EmbeddedTmpl' | 'DestPath' | 'SourcePath'>> & {
  EmbeddedTmpl?: string | null
  DestPath?: string | null
  SourcePath?: string | null
}
export type Resources = Stored<api.Resources>

export interface Task {
  [field: string]: unknown
  Name: string
  Driver: string
  Config?: Json | null
  Env?: Record<string, string> | null
  Meta?: Record<string, string> | null
  Resources?: Resources | null
  Templates?: Template[] | null
  Vault?: VaultBlock | null
  Identity?: WorkloadIdentity | null
  Identities?: WorkloadIdentity[] | null
}

/** api.UpdateStrategy with every field set (the double merges the api defaults under the job's and group's blocks). */
export type UpdateStrategy = Required<api.UpdateStrategy> & { [field: string]: unknown }

export interface TaskGroup {
  [field: string]: unknown
  Name: string
  /** set by the server at registration (1 when the job does not say) */
  Count: number
  Tasks: Task[]
  Meta?: Record<string, string> | null
  Update?: Partial<UpdateStrategy> | null
  RestartPolicy?: Partial<RestartPolicy> | null
  ReschedulePolicy?: Partial<ReschedulePolicy> | null
}

export interface Job {
  [field: string]: unknown
  ID: string
  Name?: string
  Namespace: string
  Region?: string
  Type: string
  Priority?: number
  Datacenters?: string[]
  Meta?: Record<string, string> | null
  Update?: Partial<UpdateStrategy> | null
  Reschedule?: Partial<ReschedulePolicy> | null
  Periodic?: Json | null
  ParameterizedJob?: Json | null
  ParentID?: string
  TaskGroups: TaskGroup[]
  Stop?: boolean
  Status?: string
  StatusDescription?: string
  Stable?: boolean
  Version: number
  SubmitTime?: number
  CreateIndex: number
  ModifyIndex: number
  JobModifyIndex: number
}

export interface JobSubmission {
  [field: string]: unknown
  Source?: string
  Format?: string
  VariableFlags?: Record<string, string> | null
  Variables?: string
}

export interface TaskEvent {
  [field: string]: unknown
  Type: string
  Time: number
  Message: string
  DisplayMessage: string
  Details: Record<string, string>
  FailsTask: boolean
}

export interface TaskState {
  State: string
  Failed: boolean
  Restarts: number
  LastRestart: string | null
  StartedAt: string | null
  FinishedAt: string | null
  Events: TaskEvent[]
}

/** api.RestartPolicy JSON (durations in ns). */
export interface RestartPolicy {
  Attempts: number
  Interval: number
  Delay: number
  Mode: 'fail' | 'delay'
  RenderTemplates: boolean
}

/** api.ReschedulePolicy JSON (durations in ns). */
export interface ReschedulePolicy {
  Attempts: number
  Interval: number
  Delay: number
  DelayFunction: 'constant' | 'exponential' | 'fibonacci' | ''
  MaxDelay: number
  Unlimited: boolean
}

export interface RescheduleEvent {
  RescheduleTime: number
  PrevAllocID: string
  PrevNodeID: string
  /** nanoseconds */
  Delay: number
}

export interface AllocDeploymentStatus {
  Healthy: boolean | null
  Timestamp: string
  Canary?: boolean
  ModifyIndex?: number
}

export interface Allocation {
  [field: string]: unknown
  ID: string
  EvalID: string
  Name: string
  Namespace: string
  NodeID: string
  NodeName: string
  JobID: string
  JobType: string
  JobVersion: number
  TaskGroup: string
  DesiredStatus: string
  DesiredDescription: string
  ClientStatus: string
  ClientDescription: string
  DeploymentID: string
  DeploymentStatus: AllocDeploymentStatus | null
  TaskStates: Record<string, TaskState>
  FollowupEvalID: string
  NextAllocation: string
  PreviousAllocation: string
  RescheduleTracker: { Events: RescheduleEvent[]; LastReschedule?: string } | null
  /** the double's own bookkeeping: what the allocation takes on its node */
  AllocatedResources: { Shared: { cpu: number; mem: number } }
  CreateIndex: number
  ModifyIndex: number
  AllocModifyIndex: number
  CreateTime: number
  ModifyTime: number
}

export interface Evaluation {
  [field: string]: unknown
  ID: string
  Namespace: string
  Priority: number
  Type: string
  TriggeredBy: string
  JobID: string
  JobModifyIndex?: number
  DeploymentID: string
  Status: string
  StatusDescription: string
  NextEval: string
  PreviousEval: string
  BlockedEval: string
  FailedTGAllocs: Record<string, Json> | null
  QueuedAllocations: Record<string, number> | null
  SnapshotIndex: number
  CreateIndex: number
  ModifyIndex: number
  CreateTime: number
  ModifyTime: number
}

export interface DeploymentState {
  AutoRevert: boolean
  AutoPromote: boolean
  /** nanoseconds */
  ProgressDeadline: number
  RequireProgressBy: string
  Promoted: boolean
  PlacedCanaries: string[] | null
  DesiredCanaries: number
  DesiredTotal: number
  PlacedAllocs: number
  HealthyAllocs: number
  UnhealthyAllocs: number
}

export interface Deployment {
  [field: string]: unknown
  ID: string
  Namespace: string
  JobID: string
  JobVersion: number
  JobModifyIndex?: number
  JobSpecModifyIndex?: number
  JobCreateIndex?: number
  TaskGroups: Record<string, DeploymentState>
  Status: string
  StatusDescription: string
  CreateIndex: number
  ModifyIndex: number
  CreateTime: number
  ModifyTime: number
}

/** True for a JSON object (not null, not an array). */
export function isJson(v: unknown): v is Json {
  return typeof v === 'object' && v !== null && !Array.isArray(v)
}

/** A JSON list of strings as the double reads it ([] when absent or not a list). */
export function stringList(v: unknown): string[] {
  return Array.isArray(v) ? v.map(String) : []
}

/** A JSON value that should be a string, as the double reads it ("" when it is not). */
export function asString(v: unknown): string {
  return typeof v === 'string' ? v : ''
}

/** batch and sysbatch allocations run to completion; service and system ones run until stopped. */
export const runsToCompletion = (jobType: string | undefined): boolean => jobType === 'batch' || jobType === 'sysbatch'
