/**
 * A typed Nomad API in the spirit of Nomad's Go `api/` package (github.com/hashicorp/nomad/api, MPL-2.0):
 * typed subsets of the structs the action reads, with Nomad's JSON names; one QueryOptions for namespace,
 * region and blocking queries; a handle per resource. Requests go through NomadClient (the shared transport).
 */
import type { NomadClient, Query } from './client.js'

/** api.QueryOptions / api.WriteOptions: what every call may set. index + waitMs make a blocking query. */
export interface QueryOptions {
  namespace?: string
  region?: string
  /** X-Nomad-Index of the previous answer (blocking query). */
  index?: number
  /** How long the server may hold a blocking query, in ms. */
  waitMs?: number
  /** Aborts the request: a blocking query whose answer nobody waits for any more. */
  signal?: AbortSignal
}

/** api.QueryMeta: the X-Nomad-Index of the answer. */
export interface QueryMeta {
  lastIndex: number
}

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

function query(opts: QueryOptions): Query {
  const q: Query = {}
  if (opts.namespace !== undefined) q.namespace = opts.namespace
  if (opts.region !== undefined) q.region = opts.region
  return q
}

const seg = encodeURIComponent

/** A Nomad API over one client: `api.jobs().info(id, { namespace })`, `api.evaluations().info(id, { index, waitMs })`. */
export class NomadApi {
  constructor(readonly client: NomadClient) {}

  private async get<T>(path: string, opts: QueryOptions): Promise<[T, QueryMeta]> {
    const res = await this.client.get<T>(path, { query: query(opts), index: opts.index, waitMs: opts.waitMs, signal: opts.signal })
    return [res.body, { lastIndex: res.index }]
  }

  jobs() {
    return {
      /** POST /v1/jobs/parse: the job as api.Job JSON (Nomad 1.6+ takes Variables). */
      parse: <J>(req: JobsParseRequest, opts: QueryOptions = {}) => this.client.post<J>('/v1/jobs/parse', req, query(opts)),
      /** GET /v1/job/:id */
      info: (id: string, opts: QueryOptions = {}) => this.get<Job>(`/v1/job/${seg(id)}`, opts),
      /** GET /v1/job/:id/submission?version=N: the source registered with a version (Nomad 1.6+). */
      submission: (id: string, version: number, opts: QueryOptions = {}) =>
        this.client.get<JobSubmission | null>(`/v1/job/${seg(id)}/submission`, { query: { ...query(opts), version } }).then((r) => r.body),
      /** GET /v1/job/:id/allocations */
      allocations: (id: string, opts: QueryOptions = {}) => this.get<AllocationListStub[]>(`/v1/job/${seg(id)}/allocations`, opts),
      /** GET /v1/job/:id/evaluations */
      evaluations: (id: string, opts: QueryOptions = {}) => this.get<Evaluation[]>(`/v1/job/${seg(id)}/evaluations`, opts),
      /** GET /v1/job/:id/deployment: the latest deployment, or null. */
      latestDeployment: (id: string, opts: QueryOptions = {}) => this.get<Deployment | null>(`/v1/job/${seg(id)}/deployment`, opts),
      /**
       * POST /v1/jobs. With EnforceIndex the check index makes a repeat harmless (a repeat is refused, never
       * applied twice), so only then is the request retried after a lost answer.
       */
      register: <J>(req: JobRegisterRequest<J>, opts: QueryOptions = {}) =>
        this.client.post<JobRegisterResponse | null>('/v1/jobs', req, query(opts), { idempotent: req.EnforceIndex === true })
    }
  }

  evaluations() {
    return {
      /** GET /v1/evaluation/:id */
      info: (id: string, opts: QueryOptions = {}) => this.get<Evaluation>(`/v1/evaluation/${seg(id)}`, opts)
    }
  }

  deployments() {
    return {
      /** GET /v1/deployment/:id */
      info: (id: string, opts: QueryOptions = {}) => this.get<Deployment>(`/v1/deployment/${seg(id)}`, opts),
      /** POST /v1/deployment/promote/:id */
      promote: (req: DeploymentPromoteRequest, opts: QueryOptions = {}) =>
        this.client.post<unknown>(`/v1/deployment/promote/${seg(req.DeploymentID)}`, req, query(opts))
    }
  }

  agent() {
    return {
      /** GET /v1/agent/self */
      self: () => this.get<AgentSelf>('/v1/agent/self', {})
    }
  }
}
