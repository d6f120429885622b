/**
 * `expected-plan`: compares the plan this run made with the approved one and says, part by part, what changed. Given
 * only a plan-id, the id's segments tell which part differs (the target, Vault, or which job); given the plan file,
 * the difference is shown object by object, before and after. Pure.
 */
import { clip } from '../bounds.js'
import { canonicalJson, computePlanId, digestableJob, PLAN_ID_RE, type JobPlan, type PlanDocument, type VaultPlanChange } from './plan-doc.js'

/** At most this many differences of one job's JSON are listed. */
const MAX_FIELD_LINES = 20
/** A value is shown at most this long. */
const MAX_VALUE = 200

/** The differences between the approved plan and this run's plan; empty when they are the same plan. */
export function planDifferences(expected: string | PlanDocument, actual: PlanDocument): string[] {
  if (typeof expected === 'string') return idDifferences(expected, actual)
  if (expected.planId === actual.planId) return []
  return [
    ...targetDifferences(expected, actual),
    ...vaultDifferences(expected.vault.changes, actual.vault.changes),
    ...jobDifferences(expected.jobs, actual.jobs)
  ]
}

/** The approved plan file's own id must be the digest of its content: an edited file is not the approved plan. */
export function checkPlanFile(doc: PlanDocument): string | undefined {
  if (!PLAN_ID_RE.test(String(doc.planId))) return `its planId "${String(doc.planId).slice(0, 80)}" is not a plan-id`
  const id = computePlanId(doc)
  return id === doc.planId ? undefined : `its content does not match its planId ${doc.planId} (the file was changed after it was written)`
}

function idDifferences(expected: string, actual: PlanDocument): string[] {
  if (expected === actual.planId) return []
  const [, , t, v, ...jobs] = expected.split('-')
  const [, , at, av, ...ajobs] = actual.planId.split('-')
  const out: string[] = []
  if (t !== at) out.push('the target differs (Vault or Nomad address, a namespace, the region, or the auth path)')
  if (v !== av) out.push('the Vault changes differ (a Vault object was changed, or the inputs that shape it)')
  if (jobs.length !== ajobs.length) {
    out.push(`the jobs differ: the approved plan has ${jobs.length} job segment(s), this run's plan has ${ajobs.length}`)
  } else if (ajobs.length === 1 && ajobs[0].startsWith('J')) {
    if (jobs[0] !== ajobs[0]) out.push(`one or more of the ${actual.jobs.length} jobs differ (give the plan file to see which)`)
  } else {
    ajobs.forEach((seg, i) => {
      if (seg !== jobs[i]) out.push(`job "${actual.jobs[i]?.jobId}" (${actual.jobs[i]?.file}) differs: it or its namespace's copy in Nomad changed`)
    })
  }
  // The whole-plan digest differs but no segment does: a collision of the short segments; say so plainly.
  return out.length > 0 ? out : ['the plan differs']
}

const TARGET_NAMES: Record<string, string> = {
  vaultAddr: 'vault-addr',
  vaultNamespace: 'vault-namespace',
  nomadAddr: 'nomad-addr',
  nomadNamespace: 'nomad-namespace',
  nomadRegion: 'nomad-region',
  authPath: 'auth-path'
}

function targetDifferences(expected: PlanDocument, actual: PlanDocument): string[] {
  return Object.entries(TARGET_NAMES).flatMap(([k, input]) => {
    const before = (expected.target as unknown as Record<string, unknown>)[k]
    const after = (actual.target as unknown as Record<string, unknown>)[k]
    return before === after ? [] : [`${input}: approved ${show(before)}, now ${show(after)}`]
  })
}

function vaultDifferences(expected: VaultPlanChange[], actual: VaultPlanChange[]): string[] {
  const byPath = (list: VaultPlanChange[]) => new Map(list.map((c) => [c.path, c]))
  const was = byPath(expected)
  const now = byPath(actual)
  const out: string[] = []
  for (const [path, c] of was) {
    const n = now.get(path)
    if (!n) out.push(`Vault ${path}: the approved plan would ${c.action} it; now nothing is to change (it was changed outside the plan)`)
    else if (canonicalJson(c) !== canonicalJson(n)) out.push(`Vault ${path}: ${vaultChangeText(c)} was approved; now ${vaultChangeText(n)}`)
  }
  for (const [path, n] of now) if (!was.has(path)) out.push(`Vault ${path}: not in the approved plan; now ${vaultChangeText(n)}`)
  return out
}

function vaultChangeText(c: VaultPlanChange): string {
  const fields = c.diff.map((d) => `${d.field} ${show(d.before)} → ${show(d.after)}`).join(', ')
  return `${c.action}${fields ? ` (${fields})` : ''}`
}

function jobDifferences(expected: JobPlan[], actual: JobPlan[]): string[] {
  const key = (j: JobPlan) => `${j.namespace}/${j.jobId}`
  const was = new Map(expected.map((j) => [key(j), j]))
  const now = new Map(actual.map((j) => [key(j), j]))
  const out: string[] = []
  for (const [k, j] of was) if (!now.has(k)) out.push(`job "${j.jobId}" (namespace "${j.namespace}"): in the approved plan, not in this run`)
  for (const [k, n] of now) {
    const j = was.get(k)
    if (!j) {
      out.push(`job "${n.jobId}" (namespace "${n.namespace}", ${n.file}): not in the approved plan`)
      continue
    }
    if (canonicalJson(digestableJob(j)) === canonicalJson(digestableJob(n))) continue
    const lines: string[] = []
    if (j.jobModifyIndex !== n.jobModifyIndex)
      lines.push(`job modify index ${j.jobModifyIndex} → ${n.jobModifyIndex} (the job was registered again in Nomad after the plan)`)
    lines.push(
      ...jsonDifferences(digestableJob(j) as Record<string, unknown>, digestableJob(n) as Record<string, unknown>, '', ['jobModifyIndex', 'diff'])
    )
    if (lines.length === 0) lines.push("Nomad's plan diff differs (the running job changed)")
    out.push(
      `job "${n.jobId}" (namespace "${n.namespace}", ${n.file}): ${lines.slice(0, MAX_FIELD_LINES).join('; ')}${lines.length > MAX_FIELD_LINES ? `; and ${lines.length - MAX_FIELD_LINES} more` : ''}`
    )
  }
  return out
}

/** Field paths whose values differ, `Job.TaskGroups[0].Count 1 → 3`. */
function jsonDifferences(a: unknown, b: unknown, at: string, skip: string[] = []): string[] {
  if (canonicalJson(a) === canonicalJson(b)) return []
  const objects = a !== null && b !== null && typeof a === 'object' && typeof b === 'object' && Array.isArray(a) === Array.isArray(b)
  if (!objects) return [`${at || 'value'} ${show(a)} → ${show(b)}`]
  const ra = a as Record<string, unknown>
  const rb = b as Record<string, unknown>
  const keys = [...new Set([...Object.keys(ra), ...Object.keys(rb)])].filter((k) => !skip.includes(k)).sort()
  return keys.flatMap((k) => jsonDifferences(ra[k], rb[k], Array.isArray(a) ? `${at}[${k}]` : at ? `${at}.${k}` : k))
}

function show(v: unknown): string {
  const text = v === undefined ? '(absent)' : JSON.stringify(v)
  return clip(text, MAX_VALUE)
}
