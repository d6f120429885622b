/**
 * What Vault's read answers hold, checked field by field: the mounts of GET sys/auth, a policy's text, the `data`
 * of an object. Pure; the reads themselves are client.ts.
 */
import type { CurrentMount } from './plan.js'
import type { VaultSecret } from './client.js'

/** Parses GET sys/auth into a map "path/" → mount. Vault returns the mounts under `data` (and, older, top level). */
export function parseMounts(res: unknown): Record<string, CurrentMount> {
  const body = (res ?? {}) as Record<string, unknown>
  const data = (body.data && typeof body.data === 'object' ? body.data : body) as Record<string, unknown>
  const out: Record<string, CurrentMount> = {}
  for (const [key, value] of Object.entries(data)) {
    if (!key.endsWith('/') || !value || typeof value !== 'object') continue
    const m = value as { type?: unknown; accessor?: unknown; description?: unknown }
    out[key] = { type: String(m.type ?? ''), accessor: String(m.accessor ?? '') }
    if (typeof m.description === 'string') out[key].description = m.description
  }
  return out
}

/** The text of a policy read back: `policy` (sys/policies/acl) or, from older servers, `rules`. */
export function policyOf(res: VaultSecret | null): string | null {
  const text = res?.data?.policy ?? res?.data?.rules
  return typeof text === 'string' ? text : null
}

/** The `data` of an answer, or null when it is missing or empty (Vault answers an unset object with no data). */
export function dataOf(res: VaultSecret | null): Record<string, unknown> | null {
  const d = res?.data
  return d && typeof d === 'object' && Object.keys(d).length > 0 ? d : null
}
