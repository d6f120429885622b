/**
 * What Vault's read answers hold, checked field by field: the mounts of GET sys/auth, a policy's text, the `data`
 * of an object, the entity aliases of a mount. An answer that is not what Vault answers there (null, a list, `{}`,
 * a field of the wrong type) is a MalformedAnswerError naming Vault, the method and the path, never "absent".
 */
import type { CurrentMount } from './plan-vault.js'
import type { VaultApi, VaultSecret } from './vault-client.js'
import { MalformedAnswerError } from './vault-errors.js'

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/**
 * Parses GET sys/auth into a map "path/" → mount. Vault returns the mounts under `data` (and, older, top level).
 * Every Vault has at least the token auth method, and every mount has a type and an accessor: an answer without
 * them is malformed (read as "no mounts", it would make the run enable and write over what it cannot see).
 */
export function parseMounts(res: unknown, addr: string): Record<string, CurrentMount> {
  const fail = (expected: string) => new MalformedAnswerError(addr, 'GET', 'sys/auth', res, expected)
  if (!isObject(res)) throw fail('an object listing the auth methods (at least token/)')
  const data = isObject(res.data) ? res.data : res
  const out: Record<string, CurrentMount> = {}
  for (const [key, value] of Object.entries(data)) {
    if (!key.endsWith('/')) continue
    if (!isObject(value) || typeof value.type !== 'string' || typeof value.accessor !== 'string' || value.type === '') {
      throw fail(`for "${key}" an object with a type and an accessor`)
    }
    out[key] = { type: value.type, accessor: value.accessor }
    if (typeof value.description === 'string') out[key].description = value.description
  }
  if (Object.keys(out).length === 0) throw fail('an object listing the auth methods (at least token/)')
  return out
}

/** GET sys/auth, checked: the auth mounts by "path/". A 404 there is not Vault either. */
export async function readMounts(api: VaultApi): Promise<Record<string, CurrentMount>> {
  return parseMounts(await api.read('sys/auth'), api.addr)
}

/** The text of a policy read back: `policy` (sys/policies/acl) or, from older servers, `rules`; null when absent (404). */
export function policyOf(res: VaultSecret | null, addr: string, path: string): string | null {
  if (res === null) return null
  const text = isObject(res.data) ? (res.data.policy ?? res.data.rules) : undefined
  if (typeof text !== 'string') throw new MalformedAnswerError(addr, 'GET', path, res, 'data.policy, the text of the policy')
  return text
}

/**
 * The `data` of an answer; null when absent (404) or empty (an unset object). An answer without a `data` object is
 * malformed.
 */
export function dataOf(res: VaultSecret | null, addr: string, path: string): Record<string, unknown> | null {
  if (res === null) return null
  const d = res.data
  if (!isObject(d)) throw new MalformedAnswerError(addr, 'GET', path, res, 'an object under "data"')
  return Object.keys(d).length > 0 ? d : null
}

/** The number of entity aliases on a mount accessor: every JWT login creates one (LIST identity/entity-alias/id). */
export async function loginsThrough(api: VaultApi, accessor: string): Promise<number> {
  const path = 'identity/entity-alias/id?list=true'
  const res = await api.read(path)
  if (res === null) return 0 // Vault answers 404 when there are no aliases at all
  const info = isObject(res.data) ? res.data.key_info : undefined
  if (info !== undefined && !isObject(info)) throw new MalformedAnswerError(api.addr, 'GET', path, res, 'data.key_info, an object')
  return Object.values(info ?? {}).filter((a) => isObject(a) && a.mount_accessor === accessor).length
}
