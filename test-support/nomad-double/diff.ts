/**
 * Job comparison for the Nomad test double: a stable JSON form to compare specs, and the plan endpoint's
 * `Diff` (job, task group and task field diffs with the scheduler's update annotations).
 */
import type { Job, Json, Task } from './model.js'

export function stableStringify(v: unknown): string {
  if (v === undefined) return 'null'
  if (v === null || typeof v !== 'object') return JSON.stringify(v)
  if (Array.isArray(v)) return `[${v.map(stableStringify).join(',')}]`
  const o = v as Json
  return `{${Object.keys(o)
    .filter((k) => o[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${stableStringify(o[k])}`)
    .join(',')}}`
}

function flatten(v: unknown, prefix = '', out: Record<string, string> = {}): Record<string, string> {
  if (v === null || v === undefined) return out
  if (typeof v !== 'object') {
    out[prefix] = String(v)
    return out
  }
  if (Array.isArray(v)) {
    v.forEach((x, i) => flatten(x, prefix ? `${prefix}[${i}]` : `[${i}]`, out))
    return out
  }
  for (const [k, x] of Object.entries(v as Json)) flatten(x, prefix ? `${prefix}.${k}` : k, out)
  return out
}

function fieldDiffs(a: Json | undefined, b: Json | undefined): Json[] {
  const fa = flatten(a ?? {})
  const fb = flatten(b ?? {})
  const keys = [...new Set([...Object.keys(fa), ...Object.keys(fb)])].sort()
  const out: Json[] = []
  for (const k of keys) {
    if (fa[k] === fb[k]) continue
    out.push({
      Type: fa[k] === undefined ? 'Added' : fb[k] === undefined ? 'Deleted' : 'Edited',
      Name: k,
      Old: fa[k] ?? '',
      New: fb[k] ?? '',
      Annotations: null
    })
  }
  return out
}

/** Server-managed job fields, left out when two versions are compared. */
const MANAGED = new Set(['Version', 'JobModifyIndex', 'ModifyIndex', 'CreateIndex', 'SubmitTime', 'Status', 'StatusDescription', 'Stable', 'Stop'])
const SERVER_FIELDS = [...MANAGED, 'TaskGroups']

export function jobDiff(
  oldJob: Job | undefined,
  newJob: Job,
  plans: { name: string; place: number; stop: number; inplace: number; destructive: number; canary: number; ignore: number; change: string }[]
): Json {
  const strip = (j: Json | undefined) => (j ? Object.fromEntries(Object.entries(j).filter(([k]) => !SERVER_FIELDS.includes(k))) : undefined)
  const jobFields = oldJob ? fieldDiffs(strip(oldJob), strip(newJob)) : []
  const TaskGroups = newJob.TaskGroups.map((tg) => {
    const p = plans.find((x) => x.name === tg.Name)!
    const oldTg = oldJob?.TaskGroups?.find((g) => g.Name === tg.Name)
    const Updates: Record<string, number> = {}
    if (p.place) Updates.create = p.place
    if (p.stop) Updates.destroy = p.stop
    if (p.inplace) Updates['in-place update'] = p.inplace
    if (p.destructive) Updates['create/destroy update'] = p.destructive
    if (p.canary) Updates.canary = p.canary
    if (p.ignore) Updates.ignore = p.ignore
    const { Tasks: nt, ...tgRest } = tg
    const { Tasks: ot, ...oldRest } = oldTg ?? {}
    const tgFields = oldTg ? fieldDiffs(oldRest, tgRest) : fieldDiffs(undefined, tgRest)
    const Tasks = nt.map((t) => {
      const o = (ot as Task[] | undefined)?.find((x) => x.Name === t.Name)
      const Fields = fieldDiffs(o, t)
      const type = !o ? 'Added' : Fields.length ? 'Edited' : 'None'
      const ann = !o
        ? ['forces create']
        : p.destructive || p.canary
          ? ['forces create/destroy update']
          : p.inplace
            ? ['forces in-place update']
            : null
      return { Name: t.Name, Type: type, Annotations: type === 'None' ? null : ann, Fields: Fields.length ? Fields : null, Objects: null }
    })
    const type = !oldTg ? 'Added' : tgFields.length || Tasks.some((t) => t.Type !== 'None') ? 'Edited' : 'None'
    return {
      Name: tg.Name,
      Type: type,
      Updates: Object.keys(Updates).length ? Updates : null,
      Fields: tgFields.length ? tgFields : null,
      Objects: null,
      Tasks
    }
  })
  for (const og of oldJob?.TaskGroups ?? [])
    if (!newJob.TaskGroups.some((g) => g.Name === og.Name))
      TaskGroups.push({ Name: og.Name, Type: 'Deleted', Updates: { destroy: og.Count }, Fields: null, Objects: null, Tasks: [] })
  const changed = !oldJob || jobFields.length > 0 || TaskGroups.some((g) => g.Type !== 'None')
  return {
    Type: !oldJob ? 'Added' : changed ? 'Edited' : 'None',
    ID: newJob.ID,
    Fields: jobFields.length ? jobFields : null,
    Objects: null,
    TaskGroups
  }
}

/** The user's part of a job, as a stable string (two registrations with equal specs compare equal). */
export function specOf(job: Job): string {
  return stableStringify(Object.fromEntries(Object.entries(job).filter(([k]) => !MANAGED.has(k))))
}
