/**
 * Normalisation of Vault read-backs against what the action writes, so that a re-run over an unchanged Vault finds
 * no change:
 * - durations: Vault returns seconds (token_period 1800); "30m", "1800s", 1800 are equal;
 * - set-like arrays (jwt_supported_algs, bound_audiences, token_policies, pubkeys, bound claim values): order and
 *   duplicates do not matter;
 * - empty vs missing: undefined, null, "", [] and {} are the same;
 * - PEM text: line endings and surrounding whitespace do not matter;
 * - policy text: whitespace outside quoted strings does not matter.
 */
import { durationSeconds } from '../duration.js'
import { keyFingerprint } from '../keys/jwks.js'

export type Kind = 'string' | 'bool' | 'set' | 'duration' | 'map' | 'claims' | 'pem' | 'pemset' | 'number'

export function isEmpty(v: unknown): boolean {
  if (v === undefined || v === null || v === '') return true
  if (Array.isArray(v)) return v.length === 0
  if (typeof v === 'object') return Object.keys(v as object).length === 0
  return false
}

export function equal(kind: Kind, a: unknown, b: unknown): boolean {
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
export function show(kind: Kind, v: unknown): unknown {
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
  if (typeof v === 'string')
    return v
      .split(',')
      .map((s) => s.trim())
      .filter(Boolean)
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
