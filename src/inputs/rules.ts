/**
 * The rules of name-like inputs, one per concept: wherever a Vault role, a Vault policy or a Nomad namespace appears
 * (its own input, an entry of `roles`, the probe), the same rule checks it. Each rule returns the problem as the rest
 * of a sentence that starts with the input's name (from its leading space or colon on), or undefined when it is fine.
 *
 * Sources:
 * - Vault role names: the JWT auth plugin's role path is `role/` + framework.GenericNameRegex("name"), i.e.
 *   `\w(([\w-.]+)?\w)?` (vault-plugin-auth-jwt path_role.go; sdk/framework/path.go); ROLE_NAME_RE in
 *   src/vault/limits.ts. The plugin stores a role under its lower-cased name (OpenBao 2.7.2: writing
 *   auth/jwt/role/WebProd lists "webprod"), so a role the action writes must be lower case, or every later run reads
 *   back another name; the login role (vault-auth-role) is looked up lower-cased too, so case does not matter there.
 * - Policy names: Vault and OpenBao store ACL policy names in lower case (vault/policy_store.go lowercases the name).
 * - Nomad namespaces: validNamespaceName, `^[a-zA-Z0-9-]{1,128}$` (nomad/structs/structs.go, Nomad v1.10.5).
 */
import { isIP } from 'node:net'
import { ROLE_NAME_RE } from '../vault/limits.js'
import type { NameRule } from './schema.js'

/** Names of Nomad ACL auth methods, Nomad regions and the like: letters, digits, "-", "_", ".", "@". */
export const NAME_RE = /^[A-Za-z0-9][A-Za-z0-9_.@-]*$/
/** One segment of a Vault mount path or namespace path. */
export const PATH_SEGMENT_RE = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/
/** Nomad's validNamespaceName (nomad/structs/structs.go). */
export const NOMAD_NAMESPACE_RE = /^[a-zA-Z0-9-]{1,128}$/
const DNS_NAME_RE = /^(?=.{1,253}$)([A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?$/

const ROLE_SYNTAX = 'Vault accepts letters, digits, "_", "-" and ".", starting and ending with a letter, digit or "_" (e.g. nomad-workloads).'

/** A role the action writes (role, the names in roles). */
function vaultRole(v: string): string | undefined {
  if (!ROLE_NAME_RE.test(v)) return ` is not a valid Vault role name: "${v}". ${ROLE_SYNTAX}`
  if (v !== v.toLowerCase()) {
    return (
      ` is not a usable Vault role name: "${v}" has upper-case letters, and Vault stores role names in lower case, so every ` +
      `later run would find the role under another name. Use "${v.toLowerCase()}".`
    )
  }
  return undefined
}

function vaultPolicy(v: string): string | undefined {
  if (!NAME_RE.test(v) || v.length > 128)
    return ` is not a valid Vault policy name: "${v}". Use letters, digits, "-", "_" or ".", e.g. nomad-workloads.`
  if (v === 'root' || v === 'default') return ` must not be "${v}": that is a built-in Vault policy. Choose a name such as nomad-workloads.`
  if (v !== v.toLowerCase()) {
    return `: "${v}" has upper-case letters, and Vault stores policy names in lower case; the role would then never match it. Use "${v.toLowerCase()}".`
  }
  return undefined
}

const RULES: Record<NameRule, (v: string) => string | undefined> = {
  'vault-role': vaultRole,
  'vault-login-role': (v) => (ROLE_NAME_RE.test(v) ? undefined : ` is not a valid Vault role name: "${v}". ${ROLE_SYNTAX}`),
  'vault-policy': vaultPolicy,
  'vault-namespace': (v) =>
    v
      .replace(/^\/+|\/+$/g, '')
      .split('/')
      .every((s) => PATH_SEGMENT_RE.test(s))
      ? undefined
      : ` is not a valid Vault namespace path: "${v}". Use segments such as team/prod.`,
  'nomad-namespace': (v) =>
    NOMAD_NAMESPACE_RE.test(v)
      ? undefined
      : ` is not a valid Nomad namespace name: "${v}". Nomad accepts 1 to 128 letters, digits and "-" (e.g. default, prod-eu).`,
  'nomad-region': (v) => (NAME_RE.test(v) ? undefined : ` is not a valid Nomad region: "${v}". Use letters, digits, "-", "_" or ".", e.g. global.`),
  'acl-name': (v) => (NAME_RE.test(v) ? undefined : ` is not a valid Nomad auth method name: "${v}". Use letters, digits, "-", "_", "." or "@".`),
  audience: (v) => (/\s/.test(v) ? ` must not contain spaces, got "${v}".` : undefined),
  dns: (v) => (DNS_NAME_RE.test(v) && isIP(v) === 0 ? undefined : ` must be a DNS host name (the name in the server's certificate), got "${v}".`),
  'vault-path': (v) =>
    /^[A-Za-z0-9_.@/-]+$/.test(v) ? undefined : ` must be a Vault path such as secret/data/default/nomad-vault-action-probe/config, got "${v}".`
}

/** The problem of `value` under `rule`: the rest of a sentence after the input's name (' is not …', ': "x" has …'). */
export function nameProblem(rule: NameRule, value: string): string | undefined {
  return RULES[rule](value)
}

/** "jwt-nomad", "/jwt-nomad/", "auth/jwt-nomad" → "jwt-nomad"; undefined when illegal. */
export function normaliseAuthPath(input: string): string | undefined {
  let p = input.trim().replace(/^\/+|\/+$/g, '')
  if (p.startsWith('auth/')) p = p.slice('auth/'.length)
  if (!p || p.length > 256) return undefined
  const segments = p.split('/')
  if (segments.some((s) => !PATH_SEGMENT_RE.test(s) || s === '..' || s === '.')) return undefined
  return p
}
