/**
 * Unknown fields in a JSON job: Nomad decodes the job into api.Job (Go's encoding/json, which matches names
 * case-insensitively) and drops every field it does not know, silently. Name them, with the closest known name.
 */
import { API_FIELDS } from './api-fields.js'
import { closest } from './spelling.js'

export interface UnknownField {
  /** Where, e.g. `TaskGroups[web].Tasks[server].Confg`. */
  path: string
  /** The closest field that api.Job has at that place, if any. */
  suggestion?: string
}

export function unknownJobFields(job: unknown): UnknownField[] {
  const out: UnknownField[] = []
  const walk = (value: unknown, type: string, at: string) => {
    const fields = API_FIELDS[type]
    if (!fields || !value || typeof value !== 'object' || Array.isArray(value)) return
    const byLower = new Map(Object.keys(fields).map((k) => [k.toLowerCase(), k]))
    for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
      const path = at ? `${at}.${key}` : key
      const name = byLower.get(key.toLowerCase())
      if (name === undefined) {
        const suggestion = closest(key, Object.keys(fields))
        out.push(suggestion ? { path, suggestion } : { path })
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

function elementName(e: unknown): string | undefined {
  const name = e && typeof e === 'object' ? (e as Record<string, unknown>).Name : undefined
  return typeof name === 'string' && name ? name : undefined
}
