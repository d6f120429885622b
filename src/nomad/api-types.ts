/**
 * The typed subsets of the Nomad API structs the action reads or sends, with the JSON names of Nomad's Go `api/`
 * package (github.com/hashicorp/nomad/api, MPL-2.0): allocations, evaluations, deployments, jobs and the agent
 * configuration. Types only; the calls that return them are the handles in api.ts.
 */
/** api.TaskEvent (subset). */
export interface TaskEvent {
  Type: string
  Time?: number
  DisplayMessage?: string
  Message?: string
  Details?: Record<string, string>
  FailsTask?: boolean
  DriverError?: string
  RestartReason?: string
  SetupError?: string
  KillReason?: string
  ValidationError?: string
  DownloadError?: string
  ExitCode?: number
}

/** api.TaskState (subset). */
export interface TaskState {
  State: string
  Failed: boolean
  Restarts?: number
  Events: TaskEvent[] | null
}

/** api.AllocDeploymentStatus. */
export interface AllocDeploymentStatus {
  Healthy?: boolean | null
  Canary?: boolean
  Timestamp?: string
  ModifyIndex?: number
}

/**
 * api.AllocationListStub (subset), what allocation lists send (nomad/structs AllocListStub): it has JobVersion,
 * FollowupEvalID and NextAllocation, but no DeploymentID and no PreviousAllocation (those are on a single
 * api.Allocation only).
 */
export interface AllocationListStub {
  ID: string
  EvalID?: string
  Name: string
  Namespace?: string
  NodeID?: string
  JobID: string
  JobType?: string
  JobVersion: number
  TaskGroup: string
  DesiredStatus: string
  DesiredDescription?: string
  ClientStatus: string
  ClientDescription?: string
  DeploymentStatus?: AllocDeploymentStatus | null
  TaskStates?: Record<string, TaskState> | null
  FollowupEvalID?: string
  NextAllocation?: string
  CreateIndex?: number
  ModifyIndex?: number
}

/** api.AllocationMetric (subset): why a task group could not be placed (all optional: older servers omit some). */
export interface AllocationMetric {
  NodesEvaluated?: number
  NodesFiltered?: number
  NodesInPool?: number
  NodesAvailable?: Record<string, number> | null
  ClassFiltered?: Record<string, number> | null
  ConstraintFiltered?: Record<string, number> | null
  NodesExhausted?: number
  ClassExhausted?: Record<string, number> | null
  DimensionExhausted?: Record<string, number> | null
  QuotaExhausted?: string[] | null
  ResourcesExhausted?: Record<string, unknown> | null
  CoalescedFailures?: number
}

/** api.Evaluation (subset). */
export interface Evaluation {
  ID: string
  Namespace?: string
  JobID: string
  JobModifyIndex?: number
  Type?: string
  TriggeredBy?: string
  Status: string
  StatusDescription?: string
  DeploymentID?: string
  NextEval?: string
  PreviousEval?: string
  BlockedEval?: string
  FailedTGAllocs?: Record<string, AllocationMetric> | null
  QueuedAllocations?: Record<string, number> | null
  CreateIndex?: number
  ModifyIndex?: number
}

/** api.DeploymentState. */
export interface DeploymentState {
  PlacedCanaries?: string[] | null
  AutoRevert?: boolean
  AutoPromote?: boolean
  ProgressDeadline?: number
  RequireProgressBy?: string
  Promoted: boolean
  DesiredCanaries: number
  DesiredTotal: number
  PlacedAllocs: number
  HealthyAllocs: number
  UnhealthyAllocs: number
}

/** api.Deployment (subset). */
export interface Deployment {
  ID: string
  Namespace?: string
  JobID: string
  JobVersion: number
  JobModifyIndex?: number
  JobCreateIndex?: number
  IsMultiregion?: boolean
  TaskGroups: Record<string, DeploymentState> | null
  Status: string
  StatusDescription: string
  CreateIndex?: number
  ModifyIndex?: number
}

/** api.PeriodicConfig / api.ParameterizedJobConfig (only what decides whether to follow). */
export interface PeriodicConfig {
  Enabled?: boolean
  Spec?: string
}

/** api.TaskGroup (subset). */
export interface TaskGroup {
  Name: string
  Count?: number
}

/** api.Job (subset: the fields the action reads after registering). */
export interface Job {
  ID: string
  Name?: string
  Namespace?: string
  Region?: string
  Type?: string
  Version?: number
  JobModifyIndex?: number
  ModifyIndex?: number
  CreateIndex?: number
  SubmitTime?: number
  Status?: string
  Stop?: boolean
  Meta?: Record<string, string> | null
  Periodic?: PeriodicConfig | null
  ParameterizedJob?: Record<string, unknown> | null
  Multiregion?: Record<string, unknown> | null
  TaskGroups?: TaskGroup[] | null
}

/** api.JobSubmission: the source Nomad keeps with a version. */
export interface JobSubmission {
  Source: string
  Format: string
  VariableFlags?: Record<string, string> | null
  Variables?: string
}

/** api.JobsParseRequest: HCL2 job text and its variables, parsed on the server. */
export interface JobsParseRequest {
  JobHCL: string
  Canonicalize?: boolean
  /** HCL2 variable definitions (the text of a var file). */
  Variables?: string
}

/** api.JobRegisterRequest, with the job as the action built it. */
export interface JobRegisterRequest<J = Job> {
  Job: J
  Submission?: JobSubmission
  EnforceIndex?: boolean
  JobModifyIndex?: number
  PolicyOverride?: boolean
  PreserveCounts?: boolean
}

/** api.JobRegisterResponse. */
export interface JobRegisterResponse {
  EvalID?: string
  EvalCreateIndex?: number
  JobModifyIndex?: number
  Warnings?: string | null
}

/** api.Namespace (subset). */
export interface Namespace {
  Name: string
  Description?: string
}

/** api.DeploymentPromoteRequest. */
export interface DeploymentPromoteRequest {
  DeploymentID: string
  All?: boolean
  Groups?: string[]
}

/**
 * A vault block of the agent configuration as /v1/agent/self shows it (nomad/structs/config VaultConfig: Go field
 * names; Vaults[] since Nomad 1.7, a single Vault before).
 */
export interface AgentVaultConfig {
  Name?: string
  Enabled?: boolean | null
  Role?: string
  Addr?: string
  Namespace?: string
  JWTAuthBackendPath?: string
  /** The default workload identity for Vault; TTL in nanoseconds (a Go time.Duration). */
  DefaultIdentity?: { Audience?: unknown[] | null; TTL?: number | null } | null
}

/** The agent configuration in /v1/agent/self (command/agent Config, the parts the action reads). */
export interface AgentConfig {
  NodeName?: string
  Server?: { Enabled?: boolean } | null
  Client?: { Enabled?: boolean } | null
  Version?: { Version?: string } | null
  Vaults?: (AgentVaultConfig | null)[] | null
  Vault?: AgentVaultConfig | null
}

/** /v1/agent/self (api.AgentSelf): the agent's configuration, its serf member and its stats. */
export interface AgentSelf {
  config?: AgentConfig | null
  member?: { Name?: string; Tags?: Record<string, string> | null } | null
  stats?: Record<string, Record<string, string>> | null
}
