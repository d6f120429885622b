/**
 * The `roles` input: several roles on the same JWT auth method, as a YAML (or JSON) list. Each entry has a `name`
 * and optionally `namespace` (the Nomad namespace(s) it serves, a bound claim nomad_namespace), `bound-claims`,
 * `policy` (default: the role's name), `policy-file`, `kv-mount`, `token-type` and `token-period` (defaults: the
 * inputs of the same name). The single-role inputs (role, policy, bound-claims, policy-file) are the shorthand
 * for one role; giving them together with `roles` is an error that names the input to drop.
 */
import { parse as parseYaml } from 'yaml'
import type { BoundClaims, RoleSettings, VaultSettings } from '../config.js'
import { parseDurationSeconds } from '../duration.js'
import type { FileAccess } from '../files.js'
import { roleNamespaces } from '../role-choice.js'
import { desiredRoleFor, roleWriteBody } from '../vault/desired.js'
import { checkRequestStrings, checkTokenPeriod } from '../vault/limits.js'
import type { Collector } from './collector.js'
import { nameProblem, normaliseAuthPath } from './rules.js'
import { defaultOf, inputSpec, TOKEN_TYPES } from './schema.js'
import { parseBoundClaims, readPolicyFile } from './vault-settings.js'

/** Inputs that describe the one role of the shorthand: they conflict with `roles`. */
const SHORTHAND_INPUTS = ['role', 'policy', 'bound-claims', 'policy-file'] as const

const KEYS = ['name', 'namespace', 'bound-claims', 'policy', 'policy-file', 'kv-mount', 'token-type', 'token-period']

/** The defaults of an entry (the single-role inputs token-type, token-period, kv-mount) and the auth method's path. */
type Defaults = Pick<RoleSettings, 'kvMount' | 'tokenType' | 'tokenPeriodSeconds'> & Pick<VaultSettings, 'authPath'>

/** Parses and validates the `roles` input; undefined when it is empty (the single-role inputs apply). */
export function readRoles(c: Collector, defaults: Defaults, access: FileAccess): RoleSettings[] | undefined {
  const text = c.raw('roles')
  if (!text) return undefined
  for (const name of SHORTHAND_INPUTS) {
    const v = c.raw(name)
    inputSpec(name)
    if (v !== '' && v !== defaultOf(name)) {
      c.problem(
        `Inputs "roles" and "${name}" conflict: "${name}" describes the single role of the shorthand, and roles declares every role. ` +
          `Drop "${name}" and put it into the roles entries (or drop roles).`
      )
    }
  }
  let doc: unknown
  try {
    // Every scalar is the text as written (YAML's failsafe schema): `name: 0123` is the role "0123", as Vault takes
    // it, not the number 123; `token-period: 0` is "0". Only mappings and lists keep their shape.
    doc = parseYaml(text, { schema: 'failsafe' })
  } catch (e) {
    c.problem(`Input "roles" is neither valid YAML nor JSON (${(e as Error).message.split('\n')[0]}).`)
    return undefined
  }
  if (!Array.isArray(doc) || doc.length === 0) {
    c.problem('Input "roles" must be a non-empty YAML list of roles, e.g. "- name: web-prod\\n  namespace: prod".')
    return undefined
  }
  const roles = doc.map((entry, i) => readRole(c, entry, i, defaults, access)).filter((r): r is RoleSettings => r !== undefined)
  if (roles.length !== doc.length) return undefined
  crossChecks(c, roles)
  return roles
}

function readRole(c: Collector, entry: unknown, i: number, d: Defaults, access: FileAccess): RoleSettings | undefined {
  if (!entry || typeof entry !== 'object' || Array.isArray(entry)) {
    c.problem(`Input "roles", entry ${i + 1}: must be a mapping with at least "name".`)
    return undefined
  }
  const e = entry as Record<string, unknown>
  const name = typeof e.name === 'string' ? e.name.trim() : ''
  const where = `Input "roles", role ${name ? `"${name}"` : `entry ${i + 1}`}`
  const problem = (p: string) => c.problem(`${where}: ${p}`)
  const unknown = Object.keys(e).filter((k) => !KEYS.includes(k))
  if (unknown.length > 0) problem(`unknown key(s) ${unknown.map((k) => `"${k}"`).join(', ')}; use ${KEYS.join(', ')}.`)
  if (e.name === undefined || (typeof e.name === 'string' && !name)) problem('"name" is required.')
  else if (!name) problem(`"name" must be a role name (text such as web-prod), got ${JSON.stringify(e.name)}.`)
  const nameP = name ? nameProblem('vault-role', name) : undefined
  if (nameP) problem(nameP.trimStart())
  const str = (key: string, fallback: string): string => {
    const v = e[key]
    if (v === undefined || v === null || v === '') return fallback
    if (typeof v !== 'string' && typeof v !== 'number') {
      problem(`"${key}" must be a string.`)
      return fallback
    }
    return String(v).trim()
  }
  const policy = str('policy', name)
  const policyP = name ? nameProblem('vault-policy', policy) : undefined
  if (policyP) problem(`"policy"${policyP}`)
  const kvMount = normaliseAuthPath(str('kv-mount', d.kvMount)) ?? ''
  if (!kvMount) problem(`"kv-mount" is not a valid Vault mount path: "${str('kv-mount', '')}".`)
  const tokenType = str('token-type', d.tokenType)
  if (!(TOKEN_TYPES as readonly string[]).includes(tokenType)) problem(`"token-type" must be one of ${TOKEN_TYPES.join(', ')}, got "${tokenType}".`)
  const periodText = str('token-period', '')
  let tokenPeriodSeconds = d.tokenPeriodSeconds
  if (periodText) {
    const s = parseDurationSeconds(periodText)
    if (s === undefined) problem(`"token-period" is not a valid duration: "${periodText}". Use 0 or a value such as 30m.`)
    else {
      tokenPeriodSeconds = s
      for (const p of checkTokenPeriod(s, periodText)) problem(p.replace(/^Input "token-period": /, '"token-period": '))
    }
  }
  if (tokenType.endsWith('batch') && tokenPeriodSeconds > 0) {
    problem('"token-type: batch" cannot be periodic: set "token-period: 0" for this role, or use token-type service.')
  }
  const boundClaims = readClaims(e, problem)
  const file = str('policy-file', '')
  const read = file ? readPolicyFile(file, access) : {}
  if (read.problem) problem(`"policy-file": ${read.problem}`)
  const policyText = read.text
  const role: RoleSettings = { name, policy, kvMount, boundClaims, tokenType, tokenPeriodSeconds, ...(policyText ? { policyText } : {}) }
  const body = roleWriteBody(desiredRoleFor(role, 'x'))
  for (const p of checkRequestStrings(body, `role write (POST auth/${d.authPath}/role/${name})`, 'Its bound claims')) problem(p)
  return role
}

/** bound-claims (a mapping) plus namespace (a string or list), which is the bound claim nomad_namespace. */
function readClaims(e: Record<string, unknown>, problem: (p: string) => void): BoundClaims {
  let claims: BoundClaims = {}
  if (e['bound-claims'] !== undefined) {
    const bc = parseBoundClaims(JSON.stringify(e['bound-claims']))
    if (bc.error) problem(`"bound-claims" ${bc.error}.`)
    claims = bc.claims ?? {}
  }
  const ns = e.namespace
  if (ns !== undefined) {
    const list = Array.isArray(ns) ? ns.map(String) : typeof ns === 'string' ? [ns] : []
    const bad = list.map((n) => nameProblem('nomad-namespace', n)).find((p) => p !== undefined)
    if (list.length === 0 || bad) {
      problem(`"namespace" must be a Nomad namespace name or a non-empty list of them, got ${JSON.stringify(ns)}${bad ? `:${bad}` : '.'}`)
    } else if (claims.nomad_namespace !== undefined) {
      problem('"namespace" and "bound-claims.nomad_namespace" say the same thing twice: keep one.')
    } else {
      claims = { ...claims, nomad_namespace: list.length === 1 ? list[0] : list }
    }
  }
  return claims
}

/** Names unique; a shared policy has one text; no namespace served by two roles (the per-job choice would be ambiguous). */
function crossChecks(c: Collector, roles: RoleSettings[]): void {
  const seen = new Set<string>()
  for (const r of roles.filter((x) => x.name !== '')) {
    if (seen.has(r.name)) c.problem(`Input "roles": role "${r.name}" is declared twice; role names must be unique.`)
    seen.add(r.name)
  }
  for (const r of roles) {
    const other = roles.find((o) => o !== r && o.policy === r.policy && (o.kvMount !== r.kvMount || o.policyText !== r.policyText))
    if (other && roles.indexOf(other) > roles.indexOf(r)) {
      c.problem(
        `Input "roles": roles "${r.name}" and "${other.name}" share policy "${r.policy}" but give it different text (kv-mount or policy-file). ` +
          'Give each its own policy name, or the same kv-mount and policy-file.'
      )
    }
  }
  const byNamespace = new Map<string, string>()
  for (const r of roles) {
    for (const ns of roleNamespaces(r) ?? []) {
      const first = byNamespace.get(ns)
      if (first) {
        c.problem(
          `Input "roles": Nomad namespace "${ns}" is bound by roles "${first}" and "${r.name}"; a job in it could log in with either. ` +
            'Bind each namespace to one role.'
        )
      }
      byNamespace.set(ns, r.name)
    }
  }
}
