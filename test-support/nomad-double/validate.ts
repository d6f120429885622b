/**
 * The Nomad test double's admission validators: the errors (HTTP 500) and warnings that Nomad's job admission
 * produces, nested and formatted the way Nomad formats them.
 * Sources (facts only): nomad/job_endpoint_hooks.go (jobValidate, validateVaultIdentity, memory oversubscription,
 * submissionController), nomad/job_endpoint_hook_vault.go, nomad/job_endpoint_validators.go,
 * nomad/job_endpoint_hook_node_pool.go, nomad/structs/structs_ce.go, nomad/structs/structs.go (Job/TaskGroup/Task Warnings),
 * nomad/structs/workload_id.go (WorkloadIdentity.Warnings), helper/warning.go (MergeMultierrorWarnings) and
 * go-multierror's ListFormatFunc (MPL-2.0).
 */
import { NomadApiError } from './api-error.js'
import type { Job, JobSubmission, Json, Task, TaskGroup, WorkloadIdentity } from './model.js'
import type { State } from './state.js'

/** go-multierror ListFormatFunc: "1 error occurred:\n\t* e\n\n" / "N errors occurred:\n\t* a\n\t* b\n\n". */
export function multierror(es: string[]): string {
  if (es.length === 1) return `1 error occurred:\n\t* ${es[0]}\n\n`
  return `${es.length} errors occurred:\n\t${es.map((e) => `* ${e}`).join('\n\t')}\n\n`
}

/** helper.MergeMultierrorWarnings: "1 warning:" or "N warnings:", then "\n* <entry, trimmed>" per entry. */
export function formatWarnings(ws: string[]): string {
  if (ws.length === 0) return ''
  return `${ws.length === 1 ? '1 warning:' : `${ws.length} warnings:`}\n${ws.map((w) => `\n* ${w.trim()}`).join('')}`
}

/** humanize.Bytes (SI): "999 B", "1.2 MB", "12 MB". */
export function humanBytes(n: number): string {
  if (n < 10) return `${n} B`
  const units = ['B', 'kB', 'MB', 'GB', 'TB']
  const e = Math.min(units.length - 1, Math.floor(Math.log(n) / Math.log(1000)))
  const val = Math.floor((n / 1000 ** e) * 10 + 0.5) / 10
  return `${val < 10 ? val.toFixed(1) : val.toFixed(0)} ${units[e]}`
}

/** Server `job_max_source_size` default "1M" = 1,000,000 bytes (command/agent/config.go). */
export const JOB_MAX_SOURCE_SIZE = 1_000_000

function identityWarnings(wi: WorkloadIdentity): string[] {
  const out: string[] = []
  const aud: unknown[] = wi.Audience ?? []
  if (aud.length === 0) out.push('identities without an audience are insecure')
  else if (aud.length > 1) out.push('while multiple audiences is allowed, it is more secure to use 1 audience per identity')
  if (wi.Name && wi.Name !== 'default' && !wi.TTL) out.push('identities without an expiration are insecure')
  if (wi.Env && wi.ChangeMode !== 'restart') out.push(`using env=true without change_mode="restart" may result in task not getting updated identity`)
  return out
}

/** Task.Warnings: each identity's warnings are one nested multierror prefixed "Identity[name]". */
function taskWarnings(t: Task): string[] {
  const out: string[] = []
  for (const wi of t.Identities ?? []) {
    const ws = identityWarnings(wi)
    if (ws.length) out.push(multierror(ws.map((w) => `Identity[${wi.Name}] ${w}`)))
  }
  return out
}

function groupWarnings(tg: TaskGroup): string[] {
  const out: string[] = []
  const count = Number(tg.Count ?? 1)
  const maxParallel = Number(tg.Update?.MaxParallel ?? 0)
  if (tg.Update && count > 1 && maxParallel > count)
    out.push(
      `Update max parallel count is greater than task group count (${maxParallel} > ${count}). ` +
        'A destructive change would result in the simultaneous replacement of all allocations.'
    )
  for (const t of tg.Tasks ?? []) {
    const ws = taskWarnings(t)
    if (ws.length) out.push(`Task "${t.Name}" has warnings: ${multierror(ws)}`)
  }
  return out
}

/** Job.Warnings, unpacked into top-level entries like jobValidate does. */
function jobWarnings(job: Job): string[] {
  const out: string[] = []
  let hasAutoPromote = false
  let allAutoPromote = true
  for (const tg of job.TaskGroups ?? []) {
    const ws = groupWarnings(tg)
    if (ws.length) out.push(`Group "${tg.Name}" has warnings: ${multierror(ws)}`)
    if (tg.Update) {
      hasAutoPromote ||= Boolean(tg.Update.AutoPromote)
      allAutoPromote &&= !tg.Update.Canary || Boolean(tg.Update.AutoPromote)
    }
  }
  if (hasAutoPromote && !allAutoPromote) out.push('auto_promote must be true for all groups to enable automatic promotion')
  return out
}

/**
 * Runs the validators on a job whose implicit identities were injected. Throws 500 with the multierror text when a
 * validator fails; returns the warnings otherwise.
 */
export function validateJob(s: State, job: Job): string[] {
  const errors: string[] = []
  const warnings: string[] = []
  // jobVaultHook: every vault block's cluster must be enabled on the servers (CE has only "default")
  const clusters = new Set<string>()
  for (const g of job.TaskGroups ?? []) for (const t of g.Tasks ?? []) if (t.Vault) clusters.add(t.Vault.Cluster || 'default')
  for (const c of clusters)
    if (c !== 'default' || !s.serverVault.enabled) {
      errors.push(`Vault "${c}" not enabled but used in the job`)
      break
    }
  // jobNamespaceConstraintCheckHook, jobNodePoolValidatingHook (nomad/job_endpoint_validators.go,
  // job_endpoint_hook_node_pool.go)
  if (!s.namespaces.has(job.Namespace)) errors.push(`job "${job.ID}" is in nonexistent namespace "${job.Namespace}"`)
  if (!s.nodePools.has(String(job.NodePool))) errors.push(`job "${job.ID}" is in nonexistent node pool "${String(job.NodePool)}"`)
  // jobValidate: Job.Validate (CE: a multiregion job is unlicensed, nomad/structs/structs_ce.go `Multiregion.Validate`),
  // job warnings, then the Vault identity of every task
  const regions = (job.Multiregion as { Regions?: unknown[] } | null | undefined)?.Regions
  if (Array.isArray(regions) && regions.length > 0) errors.push('Multiregion jobs are unlicensed.')
  warnings.push(...jobWarnings(job))
  for (const g of job.TaskGroups ?? [])
    for (const t of g.Tasks ?? []) {
      if (!t.Vault) {
        for (const wi of t.Identities ?? [])
          if (String(wi.Name).startsWith('vault_')) warnings.push(`Task ${t.Name} has an identity called ${wi.Name} but no vault block`)
        continue
      }
      const idName = `vault_${t.Vault.Cluster || 'default'}`
      const hasIdentity = (t.Identities ?? []).some((i) => i.Name === idName)
      const legacy = !s.atLeast('1.10.0')
      if (!hasIdentity && t.Vault.Cluster && t.Vault.Cluster !== 'default')
        errors.push(
          `Task ${t.Name} uses Vault cluster ${t.Vault.Cluster} but does not have an identity named ${idName} and no default identity is provided in agent configuration`
        )
      else if (!hasIdentity && legacy && !(t.Vault.Policies ?? []).length)
        errors.push(`Task ${t.Name} has a Vault block with an empty list of policies`)
      else if (hasIdentity && legacy && (t.Vault.Policies ?? []).length)
        warnings.push(
          `Task ${t.Name} has a Vault block with policies but uses workload identity to authenticate with Vault, policies will be ignored`
        )
    }
  // memoryOversubscriptionValidate: the default scheduler configuration does not allow oversubscription
  for (const g of job.TaskGroups ?? [])
    for (const t of g.Tasks ?? [])
      if (Number(t.Resources?.MemoryMaxMB ?? 0) > 0)
        warnings.push(
          `Memory oversubscription is not enabled; Task "${g.Name}.${t.Name}" memory_max value will be ignored. Update the Scheduler Configuration to allow oversubscription.`
        )
  if (errors.length) throw new NomadApiError(500, multierror(errors))
  return warnings
}

/** submissionController: source + variables + variable flags over the limit → the source is discarded, with a warning. */
export function checkSubmission(submission: JobSubmission | undefined): { keep: boolean; warning?: string } {
  if (!submission) return { keep: false }
  let total = Buffer.byteLength(String(submission.Source ?? '')) + Buffer.byteLength(String(submission.Variables ?? ''))
  for (const [k, v] of Object.entries((submission.VariableFlags as Json | null) ?? {})) total += Buffer.byteLength(k) + Buffer.byteLength(String(v))
  if (total <= JOB_MAX_SOURCE_SIZE) return { keep: true }
  return {
    keep: false,
    warning: `job source size of ${humanBytes(total)} exceeds maximum of ${humanBytes(JOB_MAX_SOURCE_SIZE)} and will be discarded`
  }
}
