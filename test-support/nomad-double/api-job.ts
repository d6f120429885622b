/**
 * The job the Nomad test double builds from a jobspec (its POST /v1/jobs/parse answer): typed subsets of the structs
 * of Nomad's Go api module (github.com/hashicorp/nomad/api, MPL-2.0; checked at v1.10.5): api/jobs.go Job,
 * UpdateStrategy, PeriodicConfig, ParameterizedJobConfig, Multiregion; api/tasks.go TaskGroup, Task, TaskLifecycle,
 * TaskArtifact, Template, Vault, WorkloadIdentity, RestartPolicy, ReschedulePolicy; api/resources.go Resources. JSON
 * names as there; durations in nanoseconds (Go time.Duration); null is a field the jobspec leaves nil (the parse
 * answer has every field of the struct, as Go's encoding/json writes it; `?` fields may be absent in stored records).
 */
export interface UpdateStrategy {
  Stagger?: number
  MaxParallel?: number
  HealthCheck?: string
  MinHealthyTime?: number
  HealthyDeadline?: number
  ProgressDeadline?: number
  Canary?: number
  AutoRevert?: boolean
  AutoPromote?: boolean
}

export interface RestartPolicy {
  Attempts?: number
  Interval?: number
  Delay?: number
  Mode?: string
  RenderTemplates?: boolean
}

export interface ReschedulePolicy {
  Attempts?: number
  Interval?: number
  Delay?: number
  DelayFunction?: string
  MaxDelay?: number
  Unlimited?: boolean
}

export interface Vault {
  Policies?: string[] | null
  Role?: string
  Namespace?: string
  Cluster?: string
  Env?: boolean
  DisableFile?: boolean
  ChangeMode?: string
  ChangeSignal?: string
  AllowTokenExpiration?: boolean
}

export interface WorkloadIdentity {
  Name: string
  Audience: string[] | null
  ChangeMode: string
  ChangeSignal: string
  Env: boolean
  File: boolean
  Filepath: string
  ServiceName: string
  TTL: number
}

export interface Template {
  SourcePath?: string
  DestPath?: string
  EmbeddedTmpl?: string
  ChangeMode?: string
  ChangeSignal?: string
  Splay?: number
  Perms?: string
  LeftDelim?: string
  RightDelim?: string
  Envvars?: boolean
  ErrMissingKey?: boolean
}

export interface Resources {
  CPU?: number
  MemoryMB?: number
  MemoryMaxMB?: number
  Cores?: number
}

/** api.TaskLifecycle: `lifecycle { hook, sidecar }` (hook prestart, poststart or poststop). */
export interface TaskLifecycle {
  Hook: string
  Sidecar: boolean
}

/** api.TaskArtifact: `artifact { source, destination, mode, options {…}, headers {…} }`. */
export interface TaskArtifact {
  GetterSource: string | null
  GetterOptions: Record<string, string> | null
  GetterHeaders: Record<string, string> | null
  GetterMode: string | null
  GetterInsecure: boolean | null
  RelativeDest: string | null
  Chown: boolean
}

export interface Task {
  Name: string
  Driver: string
  User: string
  Config: Record<string, unknown> | null
  Env: Record<string, string> | null
  Meta: Record<string, string> | null
  Resources: Resources | null
  Templates: Template[] | null
  Vault: Vault | null
  Identity: WorkloadIdentity | null
  Identities: WorkloadIdentity[] | null
  KillTimeout?: number
  Leader?: boolean
  Lifecycle?: TaskLifecycle | null
  Artifacts?: TaskArtifact[] | null
}

export interface TaskGroup {
  Name: string
  Count: number | null
  Meta: Record<string, string> | null
  Update: UpdateStrategy | null
  RestartPolicy: RestartPolicy | null
  ReschedulePolicy: ReschedulePolicy | null
  Tasks: Task[]
}

export interface PeriodicConfig {
  Enabled: boolean
  Spec: string
  Specs: string[] | null
  SpecType: 'cron'
  ProhibitOverlap: boolean
  TimeZone: string
}

export interface ParameterizedJobConfig {
  Payload: string
  MetaRequired: string[] | null
  MetaOptional: string[] | null
}

export interface Job {
  ID: string
  Name: string
  Namespace: string | null
  Region: string | null
  Type: string | null
  Priority: number | null
  AllAtOnce: boolean
  Datacenters: string[] | null
  NodePool: string | null
  Meta: Record<string, string> | null
  Update: UpdateStrategy | null
  Periodic: PeriodicConfig | null
  ParameterizedJob: ParameterizedJobConfig | null
  /** api.Multiregion: `multiregion { strategy {…} region "x" {…} }` (parsed; Nomad Enterprise runs it) */
  Multiregion?: {
    Strategy: { MaxParallel: number | null; OnFailure: string | null } | null
    Regions: { Name: string; Count: number | null; Datacenters: string[] | null; NodePool: string; Meta: Record<string, string> | null }[] | null
  } | null
  TaskGroups: TaskGroup[]
}
