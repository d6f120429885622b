/**
 * Pure planning: compares what Vault has (as read back) with what the action wants, field by field, and returns
 * the creates and updates to make. Nothing is ever deleted. No I/O here.
 *
 * Normalisations (Vault read-back vs what the action writes):
 * - durations: Vault returns seconds (token_period 1800); "30m", "1800s", 1800 are equal;
 * - set-like arrays (jwt_supported_algs, bound_audiences, token_policies, pubkeys, bound claim values): order and
 *   duplicates do not matter;
 * - empty vs missing: undefined, null, "", [] and {} are the same;
 * - PEM text: line endings and surrounding whitespace do not matter;
 * - policy text: whitespace outside quoted strings does not matter.
 */
import { ActionError } from '../errors.js'
import { keyFingerprint } from '../keys/jwks.js'
import type { DesiredState } from './desired.js'
import { NEW_ACCESSOR } from './desired.js'

export interface FieldChange {
  field: string
  before: unknown
  after: unknown
}

export interface Change {
  resource: 'auth-mount' | 'auth-config' | 'role' | 'policy'
  action: 'create' | 'update'
  path: string
  diff: FieldChange[]
}

export interface CurrentMount {
  type: string
  accessor: string
}

/** What Vault has now. `null` = does not exist (or, for a missing mount, could not be read). */
export interface CurrentState {
  mount: CurrentMount | null
  /** `data` of GET auth/<path>/config */
  authConfig: Record<string, unknown> | null
  /** `data` of GET auth/<path>/role/<role> */
  role: Record<string, unknown> | null
  /** `data.policy` of GET sys/policies/acl/<name> */
  policy: string | null
}

type Kind = 'string' | 'bool' | 'set' | 'duration' | 'map' | 'claims' | 'pem' | 'pemset' | 'number'

interface FieldSpec {
  field: string
  kind: Kind
}

/**
 * Auth config fields the action manages. A config write replaces the whole config, so the key-source fields the
 * action does not use (and bound_issuer) are managed too: they are desired empty and their removal is shown.
 */
const CONFIG_FIELDS: FieldSpec[] = [
  { field: 'jwks_url', kind: 'string' },
  { field: 'jwks_ca_pem', kind: 'pem' },
  { field: 'oidc_discovery_url', kind: 'string' },
  { field: 'oidc_discovery_ca_pem', kind: 'pem' },
  { field: 'jwt_validation_pubkeys', kind: 'pemset' },
  { field: 'bound_issuer', kind: 'string' },
  { field: 'jwt_supported_algs', kind: 'set' },
  { field: 'default_role', kind: 'string' }
]

/** Role fields the action manages (a role write only changes the fields it sends; other fields are left alone). */
const ROLE_FIELDS: FieldSpec[] = [
  { field: 'role_type', kind: 'string' },
  { field: 'bound_audiences', kind: 'set' },
  { field: 'user_claim', kind: 'string' },
  { field: 'user_claim_json_pointer', kind: 'bool' },
  { field: 'claim_mappings', kind: 'map' },
  { field: 'bound_claims', kind: 'claims' },
  { field: 'token_type', kind: 'string' },
  { field: 'token_period', kind: 'duration' },
  { field: 'token_explicit_max_ttl', kind: 'duration' },
  { field: 'token_policies', kind: 'set' }
]

export function planVault(current: CurrentState, desired: DesiredState): Change[] {
  const changes: Change[] = []
  const mount = current.mount
  if (mount && mount.type !== desired.mount.type) {
    throw new ActionError(
      `auth-path "${desired.mount.path}": Vault already has an auth method of type "${mount.type}" mounted at ` +
        `"${desired.mount.path}/" (accessor ${mount.accessor || 'unknown'}). The action only manages a JWT auth ` +
        'method there and never replaces or deletes another one. Choose another auth-path (e.g. "jwt-nomad"), or ' +
        'disable the existing method yourself if it is unused. Nothing was changed.'
    )
  }
  if (!mount) {
    changes.push({
      resource: 'auth-mount',
      action: 'create',
      path: desired.mountPath,
      diff: [
        { field: 'type', before: undefined, after: desired.mount.type },
        { field: 'description', before: undefined, after: desired.mount.description }
      ]
    })
  }
  // Without a mount nothing under it exists, whatever the reads returned.
  const config = mount ? current.authConfig : null
  const role = mount ? current.role : null

  const configChange = compareResource(
    'auth-config',
    desired.configPath,
    config,
    desired.authConfig as unknown as Record<string, unknown>,
    CONFIG_FIELDS
  )
  if (configChange) changes.push(configChange)

  const policyText = desired.policy.text(mount?.accessor ?? '')
  if (current.policy === null || current.policy === undefined) {
    changes.push({
      resource: 'policy',
      action: 'create',
      path: desired.policyPath,
      diff: [{ field: 'policy', before: undefined, after: policyText }]
    })
  } else if (normalisePolicy(current.policy) !== normalisePolicy(policyText)) {
    changes.push({
      resource: 'policy',
      action: 'update',
      path: desired.policyPath,
      diff: [{ field: 'policy', before: current.policy, after: policyText }]
    })
  }

  const roleChange = compareResource(
    'role',
    desired.rolePath,
    role,
    desired.role as unknown as Record<string, unknown>,
    ROLE_FIELDS
  )
  if (roleChange) changes.push(roleChange)
  return changes
}

function compareResource(
  resource: Change['resource'],
  path: string,
  current: Record<string, unknown> | null,
  desired: Record<string, unknown>,
  fields: FieldSpec[]
): Change | null {
  const diff: FieldChange[] = []
  for (const { field, kind } of fields) {
    const want = desired[field]
    if (current === null) {
      if (!isEmpty(want)) diff.push({ field, before: undefined, after: show(kind, want) })
      continue
    }
    const have = current[field]
    if (!equal(kind, have, want)) diff.push({ field, before: show(kind, have), after: show(kind, want) })
  }
  if (current === null) return { resource, action: 'create', path, diff }
  return diff.length > 0 ? { resource, action: 'update', path, diff } : null
}

// ---------------------------------------------------------------- normalisation

function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true
  if (Array.isArray(v)) return v.length === 0
  if (typeof v === 'object') return Object.keys(v as object).length === 0
  return false
}

function equal(kind: Kind, a: unknown, b: unknown): boolean {
  if (isEmpty(a) && isEmpty(b)) return true
  if (kind === 'duration') return durationSeconds(a) === durationSeconds(b)
  if (isEmpty(a) !== isEmpty(b)) return false
  return JSON.stringify(canonical(kind, a)) === JSON.stringify(canonical(kind, b))
}

function canonical(kind: Kind, v: unknown): unknown {
  switch (kind) {
    case 'string':
      return String(v).trim()
    case 'bool':
      return v === true || v === 'true'
    case 'number':
      return Number(v)
    case 'duration':
      return durationSeconds(v)
    case 'set':
      return toSet(v)
    case 'pem':
      return normalisePem(String(v))
    case 'pemset':
      return [...new Set(toArray(v).map((p) => normalisePem(String(p))))].sort()
    case 'map':
      return sortedEntries(v as Record<string, unknown>, (x) => String(x))
    case 'claims':
      return sortedEntries(v as Record<string, unknown>, (x) => (Array.isArray(x) ? toSet(x) : String(x)))
  }
}

/** For display in a diff: normalised but readable; PEMs as fingerprints (never the full text). */
function show(kind: Kind, v: unknown): unknown {
  if (isEmpty(v)) return undefined
  switch (kind) {
    case 'duration':
      return durationSeconds(v)
    case 'pem':
      return pemLabel(String(v))
    case 'pemset':
      return toArray(v).map((p) => pemLabel(String(p)))
    case 'set':
      return toArray(v).map(String)
    default:
      return v
  }
}

function pemLabel(pem: string): string {
  const blocks = (pem.match(/-----BEGIN /g) ?? []).length
  return `PEM ${keyFingerprint(pem)}${blocks > 1 ? ` (${blocks} blocks)` : ''}`
}

function toArray(v: unknown): unknown[] {
  if (Array.isArray(v)) return v
  if (typeof v === 'string') return v.split(',').map((s) => s.trim()).filter(Boolean)
  return isEmpty(v) ? [] : [v]
}

function toSet(v: unknown): string[] {
  return [...new Set(toArray(v).map((x) => String(x).trim()))].sort()
}

function sortedEntries(v: Record<string, unknown>, f: (x: unknown) => unknown): [string, unknown][] {
  if (!v || typeof v !== 'object') return []
  return Object.keys(v)
    .sort()
    .map((k) => [k, f(v[k])])
}

export function normalisePem(pem: string): string {
  return pem
    .replace(/\r\n?/g, '\n')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l.length > 0)
    .join('\n')
}

/** Policy text with insignificant whitespace outside double-quoted strings removed (HCL ignores it). */
export function normalisePolicy(text: string): string {
  let out = ''
  let inString = false
  let pendingSpace = false
  for (let i = 0; i < text.length; i++) {
    const ch = text[i]
    if (inString) {
      out += ch
      if (ch === '\\' && i + 1 < text.length) out += text[++i]
      else if (ch === '"') inString = false
      continue
    }
    if (/\s/.test(ch)) {
      pendingSpace = true
      continue
    }
    if (ch === '#' || (ch === '/' && text[i + 1] === '/')) {
      // a line comment ends at the newline: keep it (trimmed) on its own line
      const end = text.indexOf('\n', i)
      const comment = text.slice(i, end === -1 ? text.length : end).trimEnd()
      out += (out.length > 0 ? '\n' : '') + comment + '\n'
      i = end === -1 ? text.length : end
      pendingSpace = false
      continue
    }
    // A space only matters between two identifier/number characters (e.g. `a b`); elsewhere HCL ignores it.
    if (pendingSpace && /[\w.-]$/.test(out) && /[\w.-]/.test(ch)) out += ' '
    pendingSpace = false
    out += ch
    if (ch === '"') inString = true
  }
  return out
}

const UNIT_SECONDS: Record<string, number> = { ns: 1e-9, us: 1e-6, µs: 1e-6, ms: 1e-3, s: 1, m: 60, h: 3600, d: 86400 }

/** Seconds of a Vault duration: a number (seconds), "1800", "30m", "1h30m", "1800s". NaN when unparsable. */
export function durationSeconds(v: unknown): number {
  if (v === undefined || v === null || v === '') return 0
  if (typeof v === 'number') return v
  const s = String(v).trim()
  if (/^\d+$/.test(s)) return Number(s)
  const re = /(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h|d)/g
  let total = 0
  let consumed = 0
  for (const m of s.matchAll(re)) {
    total += Number(m[1]) * UNIT_SECONDS[m[2]]
    consumed += m[0].length
  }
  return consumed === s.length && consumed > 0 ? Math.round(total) : NaN
}

// ---------------------------------------------------------------- formatting (for logs)

/** Human-readable lines for one change: a header, then `field: before → after` (a line diff for policies). */
export function formatChange(change: Change): string[] {
  const lines = [`${change.action} ${change.resource} ${change.path}`]
  for (const d of change.diff) {
    const multiline = typeof d.before === 'string' && d.before.includes('\n')
    if (d.field === 'policy' || multiline || (typeof d.after === 'string' && d.after.includes('\n'))) {
      lines.push(`  ${d.field}:`)
      for (const l of lineDiff(String(d.before ?? ''), String(d.after ?? ''))) lines.push(`    ${l}`)
    } else {
      lines.push(`  ${d.field}: ${fmt(d.before)} → ${fmt(d.after)}`)
    }
  }
  return lines
}

function fmt(v: unknown): string {
  if (v === undefined) return '(none)'
  return JSON.stringify(v)
}

/** A minimal LCS line diff: unchanged lines prefixed "  ", removed "- ", added "+ ". */
export function lineDiff(before: string, after: string): string[] {
  const a = before === '' ? [] : before.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n')
  const b = after === '' ? [] : after.replace(/\r\n?/g, '\n').replace(/\n$/, '').split('\n')
  const n = a.length
  const m = b.length
  const lcs: number[][] = Array.from({ length: n + 1 }, () => new Array<number>(m + 1).fill(0))
  for (let i = n - 1; i >= 0; i--)
    for (let j = m - 1; j >= 0; j--)
      lcs[i][j] = a[i] === b[j] ? lcs[i + 1][j + 1] + 1 : Math.max(lcs[i + 1][j], lcs[i][j + 1])
  const out: string[] = []
  let i = 0
  let j = 0
  while (i < n || j < m) {
    if (i < n && j < m && a[i] === b[j]) {
      out.push(`  ${a[i]}`)
      i++
      j++
    } else if (j < m && (i >= n || lcs[i][j + 1] >= lcs[i + 1][j])) {
      out.push(`+ ${b[j++]}`)
    } else {
      out.push(`- ${a[i++]}`)
    }
  }
  return out
}

export { NEW_ACCESSOR }
