/**
 * Unknown fields in a JSON job: Nomad decodes the job into api.Job (Go's encoding/json, which matches names
 * case-insensitively) and drops every field it does not know, silently. Name them, with the closest known name.
 * Known means known to the cluster's Nomad version (api-field-versions.ts): `VaultToken` is a field up to 1.9 and
 * unknown from 1.10 on; a field newer than the cluster is unknown to it. Without a version, any version's field counts.
 */
import { FIELD_VERSIONS } from './api-field-versions.js'
import { API_FIELDS } from './api-fields.js'
import { closest } from './spelling.js'

export interface UnknownField {
  /** Where, e.g. `TaskGroups[web].Tasks[server].Confg`. */
  path: string
  /** The closest field that api.Job has at that place, if any. */
  suggestion?: string
  /** Why the field is unknown to this version, e.g. `removed in Nomad 1.10.0`. */
  version?: string
}

type Version = [number, number, number]

function parseVersion(v: string | undefined): Version | undefined {
  const m = v?.match(/^v?(\d+)\.(\d+)(?:\.(\d+))?/)
  return m ? [Number(m[1]), Number(m[2]), Number(m[3] ?? 0)] : undefined
}

function before(a: Version, b: Version): boolean {
  for (let i = 0; i < 3; i++) if (a[i] !== b[i]) return a[i] < b[i]
  return false
}

/** Fields only older versions have, per struct (lower-case name → name). */
const REMOVED = new Map<string, Map<string, string>>()
for (const key of Object.keys(FIELD_VERSIONS)) {
  if (!FIELD_VERSIONS[key].until) continue
  const [type, name] = key.split('.')
  const m = REMOVED.get(type) ?? new Map<string, string>()
  m.set(name.toLowerCase(), name)
  REMOVED.set(type, m)
}

/** Undefined when `type.name` exists in `version` (or in any version when it is not known), else why not. */
function missingIn(type: string, name: string, version: Version | undefined): string | undefined {
  const h = FIELD_VERSIONS[`${type}.${name}`]
  if (!h || !version) return undefined
  const since = parseVersion(h.since)
  const until = parseVersion(h.until)
  if (since && before(version, since)) return `added in Nomad ${h.since}`
  if (until && !before(version, until)) return `removed in Nomad ${h.until}`
  return undefined
}

export function unknownJobFields(job: unknown, nomadVersion?: string): UnknownField[] {
  const version = parseVersion(nomadVersion)
  const out: UnknownField[] = []
  const walk = (value: unknown, type: string, at: string) => {
    const fields = API_FIELDS[type]
    if (!fields || !value || typeof value !== 'object' || Array.isArray(value)) return
    const byLower = new Map(Object.keys(fields).map((k) => [k.toLowerCase(), k]))
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const path = at ? `${at}.${key}` : key
      const name = byLower.get(key.toLowerCase())
      if (name === undefined) {
        const old = REMOVED.get(type)?.get(key.toLowerCase())
        const gone = old && missingIn(type, old, version)
        if (old && !gone) continue
        const suggestion = gone ? undefined : closest(key, Object.keys(fields))
        out.push({ path, ...(suggestion ? { suggestion } : {}), ...(gone ? { version: gone } : {}) })
        continue
      }
      const newer = missingIn(type, name, version)
      if (newer) {
        out.push({ path, version: newer })
        continue
      }
      const t = fields[name]
      if (!t) continue
      if (t.endsWith('[]')) {
        if (Array.isArray(v)) v.forEach((e, i) => walk(e, t.slice(0, -2), `${path}[${elementName(e) ?? i}]`))
      } else if (t.endsWith('{}')) {
        if (v && typeof v === 'object') for (const [k, e] of Object.entries(v)) walk(e, t.slice(0, -2), `${path}[${k}]`)
      } else walk(v, t, path)
    }
  }
  walk(job, 'Job', '')
  return out
}

/** The warning for a JSON job's unknown fields (none when every field is known to the cluster's version). */
export function unknownFieldsWarning(file: string, job: unknown, nomadVersion?: string): string[] {
  const unknown = unknownJobFields(job, nomadVersion)
  if (!unknown.length) return []
  const list = unknown.map((u) => `${u.path}${u.suggestion ? ` (did you mean "${u.suggestion}"?)` : ''}${u.version ? ` (${u.version})` : ''}`)
  const whose = nomadVersion ? `api.Job of Nomad ${nomadVersion} (the cluster's version)` : "Nomad's api.Job"
  return [
    `JSON job file "${file}" has ${unknown.length === 1 ? 'a field' : `${unknown.length} fields`} that ${whose} does not have, which Nomad ` +
      `ignores silently: ${list.join(', ')}. Check the spelling against \`nomad job inspect\` output (api.Job field names).`
  ]
}

function elementName(e: unknown): string | undefined {
  const name = e && typeof e === 'object' ? (e as Record<string, unknown>).Name : undefined
  return typeof name === 'string' && name ? name : undefined
}
