/**
 * The templated-policy hazard (nomad#20099, nomad#20104, vault#27586): Vault keeps ONE entity alias per
 * (auth mount, alias name), the alias name is the role's user_claim value (by default the job ID), and every login
 * overwrites that alias' metadata with the claims of the JWT that logged in (claim_mappings). A policy templated on
 * `identity.entity.aliases.<accessor>.metadata.<key>` is evaluated against the metadata of the LAST login, so when
 * two logins that share an alias carry different values for <key> (two tasks of one job, or jobs with the same ID
 * in two namespaces), one of them intermittently gets the other's paths and a 403. Pure: no I/O.
 */
import { ACCESSOR_PLACEHOLDER } from '../vault/desired.js'
import type { Finding } from './findings.js'

export interface PolicyHazardInput {
  policyName: string
  policyText: string
  /** Accessor of the JWT mount ('' when unknown: every templated alias is then considered). */
  accessor: string
  /** The role as Vault has it (or as the action wants it). */
  role: { user_claim?: unknown; claim_mappings?: unknown; bound_claims?: unknown } | null
  /** Jobs seen in Nomad (optional evidence): id, namespace and the tasks that have a vault block. */
  jobs?: { id: string; namespace: string; vaultTasks: string[] }[]
}

const TEMPLATE_RE = /identity\.entity\.aliases\.([A-Za-z0-9_]+)\.metadata\.([A-Za-z0-9_-]+)/g

/** Claim that a JSON-pointer or plain user_claim names ("/nomad_job_id" → "nomad_job_id"). */
function claimName(userClaim: unknown): string {
  return String(userClaim ?? '')
    .replace(/^\//, '')
    .split('/')[0]
}

export function policyHazards(input: PolicyHazardInput): Finding[] {
  const mappings = (input.role?.claim_mappings && typeof input.role.claim_mappings === 'object' ? input.role.claim_mappings : {}) as Record<
    string,
    string
  >
  const userClaim = claimName(input.role?.user_claim)
  const bound = (input.role?.bound_claims && typeof input.role.bound_claims === 'object' ? input.role.bound_claims : {}) as Record<string, unknown>
  const keys = new Set<string>()
  for (const m of input.policyText.matchAll(TEMPLATE_RE)) {
    if (!input.accessor || m[1] === input.accessor || m[1] === ACCESSOR_PLACEHOLDER) keys.add(m[2])
  }
  const findings: Finding[] = []
  for (const key of keys) {
    const claim = Object.entries(mappings).find(([, k]) => k === key)?.[0] ?? key
    if (claim === userClaim) continue // the alias name itself: the same for every login that shares the alias
    const boundValues = bound[claim]
    if (Array.isArray(boundValues) ? boundValues.length === 1 : typeof boundValues === 'string' && !boundValues.includes(',')) continue
    const evidence: Record<string, unknown> = {
      policy: input.policyName,
      templatedKey: key,
      claim,
      aliasName: `the ${userClaim || 'user_claim'} claim`
    }
    let seen = ''
    if (claim === 'nomad_task' && input.jobs) {
      const multi = input.jobs.filter((j) => j.vaultTasks.length > 1)
      if (multi.length > 0) {
        evidence.jobsWithSeveralVaultTasks = multi.map((j) => `${j.namespace}/${j.id}: ${j.vaultTasks.join(', ')}`)
        seen = ` This is happening now: ${multi.length} job(s) have several tasks with a vault block that share one alias.`
      }
    }
    if (claim === 'nomad_namespace' && input.jobs) {
      const byId = new Map<string, Set<string>>()
      for (const j of input.jobs) if (j.vaultTasks.length > 0) byId.set(j.id, (byId.get(j.id) ?? new Set()).add(j.namespace))
      const shared = [...byId].filter(([, ns]) => ns.size > 1)
      if (shared.length > 0) {
        evidence.jobIdsInSeveralNamespaces = shared.map(([id, ns]) => `${id}: ${[...ns].join(', ')}`)
        seen = ` This is happening now: ${shared.length} job ID(s) run with a vault block in several namespaces.`
      }
    }
    findings.push({
      severity: seen || claim === 'nomad_task' ? 'warning' : 'info',
      check: 'policy-hazard',
      message:
        `Policy "${input.policyName}" is templated on the entity alias metadata "${key}" (claim ${claim}), but the alias is named after ` +
        `${userClaim ? `the ${userClaim} claim` : 'user_claim'}: every login that shares the alias overwrites "${key}", so concurrent tasks can ` +
        `get each other's paths and intermittent 403s (nomad#20099).${seen}`,
      fix:
        `Template only on the alias-name key (metadata.${userClaim || 'nomad_job_id'}), or make the alias unique for what you template on: ` +
        'give the Nomad servers vault.default_identity { extra_claims = { unique_id = "${job.region}:${job.namespace}:${job.id}" } } (Nomad 1.8.3+) ' +
        "and set the role's user_claim to /extra_claims/unique_id; or pin the claim with bound_claims (one role per namespace). " +
        'Never template on nomad_task: give tasks that need different secrets different roles (vault { role = … }).',
      evidence
    })
  }
  return findings
}
