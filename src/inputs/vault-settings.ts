/**
 * Readers for what the action sets up in Vault: the auth method and role, the key source, the workload tokens,
 * and the policy. Values Vault would refuse are caught here, before the first write (src/vault/limits.ts).
 */
import { parse as parseYaml } from 'yaml'
import type { BoundClaims, KeySource, RoleSettings, VaultSettings } from '../config.js'
import { readUserFile, type FileAccess } from '../files.js'
import { desiredRoleFor, roleWriteBody } from '../vault/desired.js'
import { checkRequestStrings, checkTokenPeriod } from '../vault/limits.js'
import { isAclPolicy } from '../vault/policy-shape.js'
import type { Collector } from './collector.js'

type KeySourceSettings = Pick<VaultSettings, 'keySource' | 'jwksUrl' | 'jwksCaPem' | 'oidcDiscoveryUrl' | 'oidcDiscoveryCaPem'>

export function readKeySource(c: Collector, nomadAddr: string): KeySourceSettings {
  const keySource = c.oneOf<KeySource>('key-source')
  const jwksUrlRaw = c.raw('jwks-url')
  const oidcUrlRaw = c.raw('oidc-discovery-url')
  let jwksUrl = ''
  let oidcDiscoveryUrl: string | undefined
  if (keySource === 'oidc-discovery') {
    if (jwksUrlRaw)
      c.problem(
        'Inputs "jwks-url" and "key-source: oidc-discovery" conflict: Vault takes exactly one key source. Remove jwks-url, or use key-source: jwks.'
      )
    if (!oidcUrlRaw) {
      c.problem(
        'Input "oidc-discovery-url" is required. With key-source: oidc-discovery, set it to the issuer URL ' +
          "(Nomad's server.oidc_issuer), without /.well-known/openid-configuration."
      )
    }
    oidcDiscoveryUrl = c.url('oidc-discovery-url')
    if (/\.well-known\/openid-configuration\/?$/.test(oidcDiscoveryUrl ?? '')) {
      c.problem('Input "oidc-discovery-url" must be the issuer URL without "/.well-known/openid-configuration" (Vault appends it).')
    }
  } else {
    if (oidcUrlRaw)
      c.problem(
        `Inputs "oidc-discovery-url" and "key-source: ${keySource}" conflict: Vault takes exactly one key source. Remove oidc-discovery-url, or use key-source: oidc-discovery.`
      )
    if (jwksUrlRaw) jwksUrl = c.url('jwks-url')
    else if (nomadAddr) jwksUrl = `${nomadAddr}/.well-known/jwks.json`
    else
      c.problem(
        `Input "jwks-url" or "nomad-addr" is required with key-source: ${keySource}: the action defaults jwks-url to <nomad-addr>/.well-known/jwks.json.`
      )
  }
  const jwksCaPem = c.pem('jwks-ca-cert')
  const oidcDiscoveryCaPem = c.pem('oidc-discovery-ca-cert')
  if (jwksCaPem && keySource === 'oidc-discovery')
    c.problem('Input "jwks-ca-cert" only applies to key-source jwks or static; use oidc-discovery-ca-cert.')
  if (oidcDiscoveryCaPem && keySource !== 'oidc-discovery') c.problem('Input "oidc-discovery-ca-cert" only applies to key-source: oidc-discovery.')
  return { keySource, jwksUrl, jwksCaPem, oidcDiscoveryUrl, oidcDiscoveryCaPem }
}

function readTokenSettings(c: Collector): Pick<RoleSettings, 'tokenType' | 'tokenPeriodSeconds'> {
  const tokenType = c.oneOf<string>('token-type')
  const period = c.duration('token-period')
  if (tokenType.endsWith('batch') && period.seconds > 0 && c.raw('token-period') !== '') {
    c.problem(
      'Inputs "token-type: batch" and "token-period" conflict: batch tokens cannot be periodic. Set token-period: 0 or use token-type: service.'
    )
  }
  for (const p of checkTokenPeriod(period.seconds, period.text)) c.problem(p)
  return { tokenType, tokenPeriodSeconds: period.seconds }
}

/**
 * A policy-file (the input, or a `roles` entry's): its text, or the problem (after 'Input "policy-file": ').
 * The content is never shown: it may be any file on the runner.
 */
export function readPolicyFile(file: string, access: FileAccess): { text?: string; problem?: string } {
  let text: string
  try {
    text = readUserFile(file, 'policy-file', access)
  } catch (e) {
    return { problem: (e as Error).message.replace(/^Input "policy-file": /, '') }
  }
  if (!text.trim()) return { problem: `"${file}" is empty.` }
  if (isAclPolicy(text)) return { text }
  return {
    problem:
      `"${file}" is not a Vault ACL policy (expected path "<path>" { capabilities = [...] } blocks in HCL, ` +
      'or {"path": {...}} in JSON). Its content is not shown.'
  }
}

function readPolicy(c: Collector, access: FileAccess): Pick<RoleSettings, 'policy' | 'kvMount' | 'policyText'> {
  const policy = c.name('policy')
  const kvMount = c.mount('kv-mount')
  const file = c.raw('policy-file')
  const read = file ? readPolicyFile(file, access) : {}
  if (read.problem) c.problem(`Input "policy-file": ${read.problem}`)
  return { policy, kvMount, policyText: read.text }
}

/**
 * Claim names that are special in a JavaScript object: "__proto__" would be dropped without a word, "constructor" and
 * "prototype" read as the object's own machinery. Nomad's workload identities carry no top-level claim of these names
 * (nomad/structs/workload_id.go: nomad_namespace, nomad_job_id, nomad_allocation_id, nomad_task, nomad_service, …,
 * extra_claims), so they are refused.
 */
const SPECIAL_CLAIMS = ['__proto__', 'constructor', 'prototype']

export function parseBoundClaims(text: string): { claims?: BoundClaims; error?: string } {
  if (!text.trim()) return { claims: {} }
  let doc: unknown
  try {
    doc = parseYaml(text) // YAML is a superset of JSON
  } catch (e) {
    return { error: `is neither valid YAML nor JSON (${(e as Error).message.split('\n')[0]})` }
  }
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    return { error: 'must be a mapping of claim name to a string or a list of strings, e.g. {"nomad_namespace": ["default", "prod"]}' }
  }
  const claims: BoundClaims = {}
  for (const [k, v] of Object.entries(doc as Record<string, unknown>)) {
    if (SPECIAL_CLAIMS.includes(k)) {
      return {
        error:
          `names the claim "${k}", which the action refuses: it is a special name in JavaScript objects (it could be lost on the way ` +
          "to Vault), and Nomad's workload identities carry no claim of that name. Bind the claims Nomad sets, such as nomad_namespace or nomad_job_id"
      }
    }
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') claims[k] = String(v)
    else if (Array.isArray(v) && v.length > 0 && v.every((x) => ['string', 'number', 'boolean'].includes(typeof x))) claims[k] = v.map(String)
    else return { error: `has an unsupported value for claim "${k}": use a string or a non-empty list of strings` }
  }
  return { claims }
}

/** What the action sets up in Vault besides the roles: the auth method, the audience and the key source. */
export type MountSettings = Omit<VaultSettings, 'roles' | 'rolesInput' | 'prune'>

/**
 * Everything the action sets up in Vault, and the one role of the single-role inputs (role, policy, bound-claims,
 * policy-file, kv-mount, token-type, token-period; their token-type, token-period and kv-mount are also the
 * defaults of the roles input's entries). `nomadAddr` is the default base of jwks-url.
 */
export function readVaultSettings(c: Collector, nomadAddr: string, access: FileAccess): { mount: MountSettings; role: RoleSettings } {
  const authPath = c.mount('auth-path')
  const name = c.name('role')
  const audience = c.name('audience')
  const keySource = readKeySource(c, nomadAddr)
  const tokens = readTokenSettings(c)
  const identityTtl = c.duration('identity-ttl')
  const policy = readPolicy(c, access)
  const bc = parseBoundClaims(c.raw('bound-claims'))
  if (bc.error) c.problem(`Input "bound-claims" ${bc.error}.`)
  const role: RoleSettings = { name, ...policy, ...tokens, boundClaims: bc.claims ?? {} }
  const roleBody = roleWriteBody(desiredRoleFor(role, audience))
  for (const p of checkRequestStrings(roleBody, `role write (POST auth/${authPath}/role/${name})`, 'The values of input "bound-claims"')) {
    c.problem(p)
  }
  return { mount: { authPath, audience, ...keySource, identityTtl: identityTtl.text }, role }
}
