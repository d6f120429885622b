/**
 * Pure transformations of an api.Job JSON object (as returned by /v1/jobs/parse with Canonicalize).
 * Nothing here does I/O and nothing mutates its input.
 */

/**
 * An api.Job as JSON (github.com/hashicorp/nomad/api, jobs.go and tasks.go), typed where the action reads or changes
 * it; every other field is kept as Nomad (or the user's JSON file) gave it. A user's JSON file can hold anything,
 * so readers still check each value (asArray, typeof).
 */
export interface ApiJob {
  ID?: string
  Name?: string
  Namespace?: string
  Region?: string
  Type?: string
  Meta?: Record<string, string> | null
  Periodic?: { Enabled?: boolean } | null
  ParameterizedJob?: unknown
  Multiregion?: unknown
  TaskGroups?: ApiTaskGroup[] | null
  [field: string]: unknown
}

/** api.TaskGroup, typed where the action reads it. */
export interface ApiTaskGroup {
  Name?: string
  Count?: number
  Tasks?: ApiTask[] | null
  [field: string]: unknown
}

/** api.Task, typed where the action reads it. */
export interface ApiTask {
  Name?: string
  Vault?: ApiVault | null
  Identities?: { Name?: string; TTL?: number; [field: string]: unknown }[] | null
  [field: string]: unknown
}

/** api.Vault (a task's vault block), typed where the action reads it. */
export interface ApiVault {
  Role?: string
  Cluster?: string
  Policies?: string[] | null
  [field: string]: unknown
}

export type InjectMode = 'none' | 'missing' | 'all'

/** The api.Vault canonical defaults (api/tasks.go Canonicalize), plus the role. */
export function defaultVaultBlock(role: string): Record<string, unknown> {
  return {
    Role: role,
    Namespace: '',
    Cluster: 'default',
    Env: true,
    DisableFile: false,
    ChangeMode: 'restart',
    ChangeSignal: 'SIGHUP',
    AllowTokenExpiration: false
  }
}

/** A declared role as the job side needs it: its name and the Nomad namespaces it serves (null: any). */
/** "group/task", the form used in results and messages. */
export function taskRef(group: string, task: string): string {
  return `${group}/${task}`
}

/**
 * Give tasks a Vault block for `role`.
 * - `missing`: every task without a `Vault` block gets one (canonical defaults, ChangeMode restart, Env true).
 * - `all`: like `missing`, and tasks that have a block get their `Role` set to `role` (other fields kept).
 * - `none`: returns the job unchanged.
 * - `fillEmptyRole` (several roles): `missing` also sets the role on blocks without one, which would otherwise log
 *   in with the clients' create_from_role, the role of another namespace.
 * Returns a new job and the tasks that were changed ("group/task").
 */
export function injectVault(
  job: ApiJob,
  mode: InjectMode,
  role: string,
  opts: { fillEmptyRole?: boolean } = {}
): { job: ApiJob; injectedTasks: string[] } {
  const copy = clone(job)
  const injectedTasks: string[] = []
  if (mode === 'none') return { job: copy, injectedTasks }
  for (const group of asArray(copy.TaskGroups)) {
    for (const task of asArray(group?.Tasks)) {
      if (!task || typeof task !== 'object') continue
      const ref = taskRef(String(group.Name ?? ''), String(task.Name ?? ''))
      if (task.Vault == null) {
        task.Vault = defaultVaultBlock(role)
        injectedTasks.push(ref)
      } else if ((mode === 'all' || (opts.fillEmptyRole && !task.Vault.Role)) && task.Vault.Role !== role) {
        task.Vault = { ...task.Vault, Role: role }
        injectedTasks.push(ref)
      }
    }
  }
  return { job: copy, injectedTasks }
}

/** Merge `meta` into Job.Meta (string values only: Nomad meta is map[string]string). Returns a new job. */
export function injectMeta(job: ApiJob, meta: Record<string, string>): ApiJob {
  const copy = clone(job)
  const existing = copy.Meta && typeof copy.Meta === 'object' ? copy.Meta : {}
  const merged: Record<string, string> = { ...existing }
  for (const [k, v] of Object.entries(meta)) {
    if (v === undefined || v === null) continue
    merged[k] = String(v)
  }
  copy.Meta = merged
  return copy
}

/**
 * Tasks ("group/task") that have a Vault block but no `vault_<cluster>` identity: they depend on the
 * Nomad servers' `vault.default_identity` to get a token (the identity must be named `vault_<cluster>`: Nomad's
 * structs.WorkloadIdentityVaultPrefix "vault_", and the server adds `vault_default` only to tasks with a vault block).
 */
export function tasksRelyingOnDefaultIdentity(job: ApiJob): string[] {
  const out: string[] = []
  for (const group of asArray(job?.TaskGroups)) {
    for (const task of asArray(group?.Tasks)) {
      if (!task?.Vault) continue
      const cluster = String(task.Vault.Cluster || 'default')
      const name = `vault_${cluster}`
      const has = asArray(task.Identities).some((i) => i?.Name === name)
      if (!has) out.push(taskRef(String(group.Name ?? ''), String(task.Name ?? '')))
    }
  }
  return out
}

/** Tasks ("group/task") with a Vault block, and their role ('' = the client's create_from_role / default_role). */
export function vaultTasks(job: ApiJob): { task: string; role: string }[] {
  const out: { task: string; role: string }[] = []
  for (const group of asArray(job?.TaskGroups)) {
    for (const task of asArray(group?.Tasks)) {
      if (task?.Vault) out.push({ task: taskRef(String(group.Name ?? ''), String(task.Name ?? '')), role: String(task.Vault.Role ?? '') })
    }
  }
  return out
}

/** The list, or [] when a user's JSON job has something else there. */
export function asArray<T>(v: T[] | null | undefined): T[] {
  return Array.isArray(v) ? v : []
}

function clone<T>(v: T): T {
  return structuredClone(v)
}
