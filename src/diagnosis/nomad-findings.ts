/**
 * Nomad-side findings of `mode: check`, as pure functions of what was read: the agents' vault block against Vault,
 * the servers' default identity (audience, TTL), Nomad's own upgrade check for Vault workload identity, jobs that
 * still use the legacy `vault.policies`, and vault identities without a TTL.
 */
import type { AgentSelfResult } from '../nomad/cluster-check.js'
import { findDefaultVault } from '../nomad/cluster-check.js'
import type { ApiJob } from '../nomad/inject.js'
import type { Finding } from './findings.js'

/** GET /v1/operator/upgrade-check/vault-workload-identity (api.VaultWorkloadIdentityUpgradeCheck, Nomad 1.7+). */
export interface UpgradeCheckBody {
  JobsWithoutVaultIdentity?: { ID: string; Namespace?: string; Name?: string }[] | null
  OutdatedNodes?: { ID: string; Name?: string; Version?: string }[] | null
  VaultTokens?: { AllocID: string; Task: string; NodeID?: string; Accessor?: string; CreationTTL?: number }[] | null
}

export type Fetched<T> = { ok: true; value: T } | { ok: false; status?: number; reason: string }

export interface NomadCheckInput {
  expected: { authPath: string; role: string; audience: string; vaultAddr: string }
  self: AgentSelfResult
  upgrade: Fetched<UpgradeCheckBody>
  /** Every job (all namespaces) as GET /v1/job/:id returns it. */
  jobs: Fetched<ApiJob[]>
}

const trimSlashes = (s: string) => s.replace(/^\/+|\/+$/g, '')

export function nomadFindings(input: NomadCheckInput): Finding[] {
  return [...agentFindings(input), ...upgradeFindings(input.upgrade), ...jobFindings(input.jobs)]
}

/** default_identity.aud of the servers, [] when they have none, undefined when the agent could not be read. */
export function serverAudiences(self: AgentSelfResult): string[] | undefined {
  if (!self.ok || !self.self.config || self.self.config.Server?.Enabled !== true) return undefined
  const block = findDefaultVault(self.self.config)
  return block?.defaultIdentity?.audience ?? []
}

function agentFindings({ self, expected }: NomadCheckInput): Finding[] {
  if (!self.ok) {
    return [
      {
        severity: 'warning',
        check: 'agent-vault',
        message: `The Nomad agent's vault configuration could not be read: ${self.reason}. Its auth path, role, address and default identity were not checked.`,
        fix: 'Give the nomad-token agent:read (policy: agent { policy = "read" }).'
      }
    ]
  }
  const config = self.self.config
  if (!config || (config.Vaults === undefined && config.Vault === undefined)) {
    return [
      {
        severity: 'warning',
        check: 'agent-vault',
        message: 'GET /v1/agent/self returned no vault configuration (redacted, or an unknown Nomad version).',
        fix: "Check the agents' vault blocks by hand against the outputs nomad-server-config and nomad-client-config."
      }
    ]
  }
  const isServer = config.Server?.Enabled === true
  const isClient = config.Client?.Enabled === true
  const name = String(config.NodeName || self.self.member?.Name || 'the agent')
  const block = findDefaultVault(config)
  const out: Finding[] = []
  if (!block || !block.enabled) {
    return [
      {
        severity: 'error',
        check: 'agent-vault',
        message: `Nomad agent "${name}" has no enabled vault block "default": Nomad refuses or never starts tasks that use Vault.`,
        fix: 'Add the blocks of the outputs nomad-server-config (servers) and nomad-client-config (clients) to the agents and restart them.'
      }
    ]
  }
  const evidence = {
    agent: name,
    server: isServer,
    client: isClient,
    address: block.address,
    jwt_auth_backend_path: block.jwtAuthBackendPath,
    create_from_role: block.role,
    default_identity: block.defaultIdentity
  }
  if (isClient) {
    // Nomad's default for jwt_auth_backend_path is "jwt-nomad"; a trailing "/" is accepted.
    const path = trimSlashes(block.jwtAuthBackendPath) || 'jwt-nomad'
    if (path !== trimSlashes(expected.authPath)) {
      out.push({
        severity: 'error',
        check: 'agent-vault',
        message: `Nomad client "${name}" logs in at auth/${path}/login, but the JWT auth method is at "${expected.authPath}": every login fails.`,
        fix: `Set jwt_auth_backend_path = "${expected.authPath}" in the clients' vault block (output nomad-client-config), or set auth-path to "${path}".`,
        evidence
      })
    }
    if (block.role && block.role !== expected.role) {
      out.push({
        severity: 'warning',
        check: 'agent-vault',
        message: `Nomad client "${name}" logs tasks in with create_from_role "${block.role}", not the role "${expected.role}" the action manages.`,
        fix: `Set create_from_role = "${expected.role}" in the clients' vault block, or manage role "${block.role}" with the action (input role or roles).`,
        evidence
      })
    }
    const want = expected.vaultAddr.replace(/\/+$/, '')
    const have = block.address.replace(/\/+$/, '')
    if (have && want && have !== want) {
      out.push({
        severity: 'warning',
        check: 'agent-vault',
        message: `Nomad client "${name}" talks to Vault at ${have}, the action to ${want}. Fine if both reach the same Vault cluster; otherwise tasks log in elsewhere.`,
        fix: `Set address = "${want}" in the clients' vault block if it is another Vault.`,
        evidence
      })
    }
  }
  if (isServer) {
    const di = block.defaultIdentity
    if (!di) {
      out.push({
        severity: 'warning',
        check: 'identity-ttl',
        message: `Nomad server "${name}" has no vault.default_identity: tasks with a vault block and no identity "vault_default" never get a Vault token (nomad#25955).`,
        fix: "Add default_identity to the servers' vault block (output nomad-server-config).",
        evidence
      })
    } else if (!di.ttlSeconds) {
      out.push({
        severity: 'error',
        check: 'identity-ttl',
        message: `Nomad server "${name}": vault.default_identity has no ttl, so identities have no exp claim and Vault accepts them only for a few minutes after they are issued (a task restarted later cannot log in).`,
        fix: 'Set ttl (e.g. "1h") in the servers\' default_identity (output nomad-server-config).',
        evidence
      })
    }
  }
  if (out.length === 0) {
    out.push({
      severity: 'info',
      check: 'agent-vault',
      message: `Nomad agent "${name}" has a vault block that agrees with Vault.`,
      fix: '',
      evidence
    })
  }
  return out
}

function upgradeFindings(upgrade: Fetched<UpgradeCheckBody>): Finding[] {
  const check = 'upgrade-check'
  if (!upgrade.ok) {
    if (upgrade.status === 404)
      return [
        {
          severity: 'info',
          check,
          message: `Nomad has no upgrade check for Vault workload identity (${upgrade.reason}); it needs Nomad 1.7 or newer.`,
          fix: 'Upgrade Nomad to 1.7.2 or newer (1.10+ recommended).'
        }
      ]
    return [
      {
        severity: 'warning',
        check,
        message: `Nomad's upgrade check could not be read: ${upgrade.reason}.`,
        fix: 'Give the nomad-token operator:read (policy: operator { policy = "read" }).'
      }
    ]
  }
  const b = upgrade.value
  const out: Finding[] = []
  const jobs = b.JobsWithoutVaultIdentity ?? []
  const nodes = b.OutdatedNodes ?? []
  const tokens = b.VaultTokens ?? []
  if (jobs.length > 0) {
    out.push({
      severity: 'error',
      check,
      message: `${jobs.length} job(s) use Vault without a workload identity for it: ${jobs.map((j) => `${j.Namespace ?? 'default'}/${j.ID}`).join(', ')}. They rely on legacy Vault tokens (Nomad 1.7–1.9) or never get a token (1.10+).`,
      fix: 'Give the servers vault.default_identity (output nomad-server-config) and re-submit these jobs, e.g. with this action (mode: deploy, inject-vault: missing or all), one by one.',
      evidence: jobs.map((j) => ({ namespace: j.Namespace ?? 'default', id: j.ID }))
    })
  }
  if (nodes.length > 0) {
    out.push({
      severity: 'error',
      check,
      message: `${nodes.length} node(s) run a Nomad version without workload identities for Vault: ${nodes.map((n) => `${n.Name ?? n.ID} (${n.Version ?? '?'})`).join(', ')}.`,
      fix: 'Upgrade these clients to Nomad 1.7.2 or newer before moving jobs to workload identity.',
      evidence: nodes.map((n) => ({ id: n.ID, name: n.Name, version: n.Version }))
    })
  }
  if (tokens.length > 0) {
    out.push({
      severity: 'warning',
      check,
      message: `${tokens.length} legacy Vault token(s) created by Nomad are still in use (tasks ${tokens.map((t) => `${t.AllocID.slice(0, 8)}/${t.Task}`).join(', ')}); Nomad stops managing them after the migration.`,
      fix: 'Re-submit the jobs of these allocations with a workload identity; the tokens expire with their TTL.',
      evidence: tokens.map((t) => ({ allocId: t.AllocID, task: t.Task, creationTTL: t.CreationTTL }))
    })
  }
  if (out.length === 0)
    out.push({
      severity: 'info',
      check,
      message: "Nomad's upgrade check for Vault workload identity is clean: no job without a Vault identity, no outdated node, no legacy token.",
      fix: ''
    })
  return out
}

/** Tasks with a vault block: "group/task", its policies and its vault_<cluster> identity (if any). */
export function jobVaultTasks(job: ApiJob): { task: string; policies: string[]; identity?: { ttlNs: number } }[] {
  const out: { task: string; policies: string[]; identity?: { ttlNs: number } }[] = []
  for (const g of Array.isArray(job?.TaskGroups) ? job.TaskGroups : []) {
    for (const t of Array.isArray(g?.Tasks) ? g.Tasks : []) {
      if (!t?.Vault) continue
      const name = `vault_${t.Vault.Cluster || 'default'}`
      const id = (Array.isArray(t.Identities) ? t.Identities : []).find((i: { Name?: string }) => i?.Name === name)
      out.push({
        task: `${g.Name}/${t.Name}`,
        policies: Array.isArray(t.Vault.Policies) ? t.Vault.Policies.map(String) : [],
        ...(id ? { identity: { ttlNs: Number(id.TTL ?? 0) } } : {})
      })
    }
  }
  return out
}

function jobFindings(jobs: Fetched<ApiJob[]>): Finding[] {
  if (!jobs.ok) {
    return [
      {
        severity: 'warning',
        check: 'legacy-policies',
        message: `The jobs could not be listed: ${jobs.reason}. Jobs using vault.policies and identities without TTL were not checked.`,
        fix: 'Give the nomad-token list-jobs and read-job on every namespace (namespace "*" { policy = "read" }).'
      }
    ]
  }
  const out: Finding[] = []
  for (const job of jobs.value) {
    const ref = `${job.Namespace ?? 'default'}/${job.ID}`
    const tasks = jobVaultTasks(job)
    const legacy = tasks.filter((t) => t.policies.length > 0)
    if (legacy.length > 0) {
      out.push({
        severity: 'warning',
        check: 'legacy-policies',
        message: `Job ${ref} still sets vault.policies in ${legacy.map((t) => t.task).join(', ')}: with workload identity the policies come from the Vault role, so these are ignored (and no longer accepted from Nomad 1.10).`,
        fix: 'Remove policies from the vault blocks; the role grants the policy. Jobs that need other policies get their own role (input roles) and vault { role = "…" }.',
        evidence: legacy.map((t) => ({ task: t.task, policies: t.policies }))
      })
    }
    const noTtl = tasks.filter((t) => t.identity && !(t.identity.ttlNs > 0))
    if (noTtl.length > 0) {
      out.push({
        severity: 'warning',
        check: 'identity-ttl',
        message: `Job ${ref}: the vault identity of ${noTtl.map((t) => t.task).join(', ')} has no ttl, so Vault accepts it only for a few minutes after it is issued.`,
        fix: 'Set ttl (e.g. "1h") on the job\'s identity "vault_default", or remove it so that the servers\' default_identity (with a ttl) applies.'
      })
    }
  }
  return out
}
