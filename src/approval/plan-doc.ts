/**
 * The reviewed plan (issue "apply exactly the plan that was reviewed"): a pure document of everything an apply would
 * do and the state it was planned against, and its `plan-id`, a digest of that document. Built from plain data (the
 * orchestrator converts Vault's changes and Nomad's plans), so that it imports neither vault/ nor nomad/. No I/O.
 *
 * What the digest covers: the target (Vault and Nomad addresses, Vault namespace, Nomad namespace and region, the
 * auth path); each Vault change (path, action, and every field's value as read before and as it would be written);
 * each job as it would be registered (after injection), the job modify index its plan saw, and the plan's diff.
 * What it never covers: timestamps, run IDs, evaluation IDs, tokens, and the values of the per-commit release keys
 * (RELEASE_KEYS), so that a plan made on a pull request matches the apply of the same change after the merge.
 */
import { createHash } from 'node:crypto'

/** The format of a plan document (and the first segment of every plan-id). */
export const PLAN_FORMAT = 'np1'

/**
 * Job.Meta keys the action writes whose values name the commit, ref or workflow rather than what is deployed. Their
 * values (and Nomad's diff lines for them) are left out of the digest; the keys stay in.
 */
export const RELEASE_KEYS = ['github_sha', 'github_ref', 'github_workflow'] as const

/** Above this many jobs the plan-id carries one segment for all jobs instead of one per job. */
export const MAX_JOB_SEGMENTS = 50

export interface PlanTarget {
  vaultAddr: string
  vaultNamespace: string
  nomadAddr: string
  nomadNamespace: string
  nomadRegion: string
  authPath: string
}

export interface VaultPlanChange {
  resource: string
  action: string
  path: string
  /** Field by field: the value as read before and the value to write (normalised as Vault's plan compares them). */
  diff: { field: string; before: unknown; after: unknown }[]
}

export interface JobPlan {
  file: string
  jobId: string
  namespace: string
  /** The job as it would be registered: after injection, with the release metadata. */
  job: unknown
  /** The job modify index the plan saw (0: the job does not exist). */
  jobModifyIndex: number
  /** Nomad's plan diff (`Diff` of the plan answer). */
  diff: unknown
}

export interface PlanDocument {
  format: typeof PLAN_FORMAT
  planId: string
  target: PlanTarget
  vault: { changes: VaultPlanChange[] }
  jobs: JobPlan[]
}

export interface PlanParts {
  target: PlanTarget
  vault: { changes: VaultPlanChange[] }
  jobs: JobPlan[]
}

/** JSON with object keys sorted at every level (arrays keep their order), undefined members left out. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value ?? null)
  if (Array.isArray(value)) return `[${value.map((v) => canonicalJson(v === undefined ? null : v)).join(',')}]`
  const entries = Object.entries(value as Record<string, unknown>)
    .filter(([, v]) => v !== undefined)
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`
}

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex')

/** A job and its diff with the per-commit release values blanked (the keys stay). */
export function digestableJob(job: JobPlan): unknown {
  return { ...job, file: undefined, job: withoutReleaseValues(job.job), diff: withoutReleaseDiff(job.diff) }
}

function withoutReleaseValues(job: unknown): unknown {
  if (!isObject(job) || !isObject(job.Meta)) return job
  const meta: Record<string, unknown> = { ...job.Meta }
  for (const k of RELEASE_KEYS) if (k in meta) meta[k] = '(release)'
  return { ...job, Meta: meta }
}

/** Nomad's diff without the field lines of the release keys (`Meta[github_sha]`), at any depth. */
function withoutReleaseDiff(diff: unknown): unknown {
  if (Array.isArray(diff)) return diff.filter((d) => !(isObject(d) && isReleaseField(d.Name))).map(withoutReleaseDiff)
  if (!isObject(diff)) return diff
  return Object.fromEntries(Object.entries(diff).map(([k, v]) => [k, withoutReleaseDiff(v)]))
}

const isReleaseField = (name: unknown) => typeof name === 'string' && RELEASE_KEYS.some((k) => name === `Meta[${k}]`)
const isObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v)

/** The digest of each part: the target, Vault, and each job (in the order given). */
export function partDigests(parts: PlanParts): { target: string; vault: string; jobs: string[] } {
  return {
    target: sha256(canonicalJson(parts.target)),
    vault: sha256(canonicalJson(parts.vault)),
    jobs: parts.jobs.map((j) => sha256(canonicalJson(digestableJob(j))))
  }
}

/**
 * The plan-id: `np1-<16 hex of the whole plan>-t<6>-v<8>-j<8>…`. The segments after the first are short digests of
 * the target, Vault and each job, so that a refusal given only a plan-id can say which part differs. With more than
 * MAX_JOB_SEGMENTS jobs, one `J<8>` segment stands for all of them.
 */
export function computePlanId(parts: PlanParts): string {
  const d = partDigests(parts)
  const whole = sha256([d.target, d.vault, ...d.jobs].join('\n')).slice(0, 16)
  const jobs = d.jobs.length > MAX_JOB_SEGMENTS ? [`J${sha256(d.jobs.join('\n')).slice(0, 8)}`] : d.jobs.map((j) => `j${j.slice(0, 8)}`)
  return [PLAN_FORMAT, whole, `t${d.target.slice(0, 6)}`, `v${d.vault.slice(0, 8)}`, ...jobs].join('-')
}

export function buildPlanDocument(parts: PlanParts): PlanDocument {
  return { format: PLAN_FORMAT, planId: computePlanId(parts), target: parts.target, vault: parts.vault, jobs: parts.jobs }
}

/** An address as it names a server: scheme, host and port, and a path without a trailing slash; never userinfo. */
export function normaliseAddr(addr: string): string {
  try {
    const u = new URL(addr)
    return `${u.protocol}//${u.host}${u.pathname.replace(/\/+$/, '')}`
  } catch {
    return addr.trim().replace(/\/+$/, '')
  }
}

/** A plan-id's shape (what `expected-plan` accepts as an id rather than a path). */
export const PLAN_ID_RE = new RegExp(`^${PLAN_FORMAT}-[0-9a-f]{16}-t[0-9a-f]{6}-v[0-9a-f]{8}(-(j[0-9a-f]{8}|J[0-9a-f]{8}))*$`)
