/**
 * Readers for what the action sets up in Vault: the auth method and role, the key source, the workload tokens,
 * and the policy. Values Vault would refuse are caught here, before the first write (src/vault/limits.ts).
 */
import { parse as parseYaml } from 'yaml'
import type { BoundClaims, KeySource, VaultSettings } from '../config.js'
import { parseDurationSeconds } from '../duration.js'
import { readUserFile, type FileAccess } from '../files.js'
import { desiredRole, roleWriteBody } from '../vault/desired.js'
import { checkPolicyName, checkRequestStrings, checkRoleName, checkTokenPeriod } from '../vault/limits.js'
import { isAclPolicy } from '../vault/policy-shape.js'
import { normaliseAuthPath, type Collector } from './collector.js'

const TOKEN_TYPES = ['service', 'batch', 'default', 'default-service', 'default-batch']

/** A duration input in seconds; a problem (and 0) when it is not a duration, or not positive unless allowZero. */
export function readDuration(c: Collector, name: string, opts: { allowZero?: boolean } = {}): { text: string; seconds: number } {
  const text = c.string(name)
  const seconds = parseDurationSeconds(text)
  if (seconds === undefined || (!opts.allowZero && seconds <= 0)) {
    c.problem(`Input "${name}" is not a valid duration: "${text}". Use a number with a unit, such as 30m, 1h or 90s.`)
    return { text, seconds: 0 }
  }
  return { text, seconds }
}

type KeySourceSettings = Pick<VaultSettings, 'keySource' | 'jwksUrl' | 'jwksCaPem' | 'oidcDiscoveryUrl' | 'oidcDiscoveryCaPem'>

export function readKeySource(c: Collector, nomadAddr: string): KeySourceSettings {
  const keySource = c.oneOf<KeySource>('key-source', ['jwks', 'oidc-discovery', 'static'])
  const jwksUrlRaw = c.raw('jwks-url')
  const oidcUrlRaw = c.raw('oidc-discovery-url')
  let jwksUrl = ''
  let oidcDiscoveryUrl: string | undefined
  if (keySource === 'oidc-discovery') {
    if (jwksUrlRaw)
      c.problem(
        'Inputs "jwks-url" and "key-source: oidc-discovery" conflict: Vault takes exactly one key source. Remove jwks-url, or use key-source: jwks.'
      )
    oidcDiscoveryUrl = c.url('oidc-discovery-url', oidcUrlRaw, {
      required: true,
      hint: "With key-source: oidc-discovery, set it to the issuer URL (Nomad's server.oidc_issuer), without /.well-known/openid-configuration."
    })
    if (/\.well-known\/openid-configuration\/?$/.test(oidcDiscoveryUrl ?? '')) {
      c.problem('Input "oidc-discovery-url" must be the issuer URL without "/.well-known/openid-configuration" (Vault appends it).')
    }
  } else {
    if (oidcUrlRaw)
      c.problem(
        `Inputs "oidc-discovery-url" and "key-source: ${keySource}" conflict: Vault takes exactly one key source. Remove oidc-discovery-url, or use key-source: oidc-discovery.`
      )
    if (jwksUrlRaw) jwksUrl = c.url('jwks-url', jwksUrlRaw, { required: true })
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

function readTokenSettings(c: Collector): Pick<VaultSettings, 'tokenType' | 'tokenPeriodSeconds'> {
  const tokenType = c.string('token-type')
  if (!TOKEN_TYPES.includes(tokenType)) c.problem(`Input "token-type" must be one of ${TOKEN_TYPES.join(', ')}, got "${tokenType}".`)
  const period = readDuration(c, 'token-period', { allowZero: true })
  if (tokenType.endsWith('batch') && period.seconds > 0 && c.raw('token-period') !== '') {
    c.problem(
      'Inputs "token-type: batch" and "token-period" conflict: batch tokens cannot be periodic. Set token-period: 0 or use token-type: service.'
    )
  }
  for (const p of checkTokenPeriod(period.seconds, period.text)) c.problem(p)
  return { tokenType, tokenPeriodSeconds: period.seconds }
}

function readPolicy(c: Collector, access: FileAccess): Pick<VaultSettings, 'policy' | 'kvMount' | 'policyText'> {
  const policy = c.name('policy', 'Vault policy name')
  if (policy === 'root' || policy === 'default') {
    c.problem(`Input "policy" must not be "${policy}": that is a built-in Vault policy. Choose a name such as nomad-workloads.`)
  }
  for (const p of checkPolicyName(policy)) c.problem(p)
  const kvMount = normaliseAuthPath(c.string('kv-mount')) ?? ''
  if (!kvMount) c.problem(`Input "kv-mount" is not a valid Vault mount path: "${c.string('kv-mount')}".`)
  const file = c.raw('policy-file')
  let policyText: string | undefined
  if (file) {
    try {
      policyText = readUserFile(file, 'policy-file', access)
      if (!policyText.trim()) c.problem(`Input "policy-file": "${file}" is empty.`)
      else if (!isAclPolicy(policyText)) {
        // Never show the content: it may be any file on the runner.
        c.problem(
          `Input "policy-file": "${file}" is not a Vault ACL policy (expected path "<path>" { capabilities = [...] } ` +
            'blocks in HCL, or {"path": {...}} in JSON). Its content is not shown.'
        )
        policyText = undefined
      }
    } catch (e) {
      c.problem((e as Error).message)
    }
  }
  return { policy, kvMount, policyText }
}

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
    if (typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean') claims[k] = String(v)
    else if (Array.isArray(v) && v.length > 0 && v.every((x) => ['string', 'number', 'boolean'].includes(typeof x))) claims[k] = v.map(String)
    else return { error: `has an unsupported value for claim "${k}": use a string or a non-empty list of strings` }
  }
  return { claims }
}

/** Everything the action sets up in Vault. `nomadAddr` is the default base of jwks-url. */
export function readVaultSettings(c: Collector, nomadAddr: string, access: FileAccess): VaultSettings {
  const authPathRaw = c.string('auth-path')
  const authPath = normaliseAuthPath(authPathRaw) ?? ''
  if (!authPath) {
    c.problem(
      `Input "auth-path" is not a valid Vault mount path: "${authPathRaw}". Use segments of letters, digits, "-", "_" or ".", e.g. jwt-nomad.`
    )
  }
  const role = c.string('role')
  for (const p of checkRoleName(role)) c.problem(p)
  const audience = c.string('audience')
  if (!audience || /\s/.test(audience)) c.problem(`Input "audience" must be a non-empty string without spaces, got "${audience}".`)
  const keySource = readKeySource(c, nomadAddr)
  const tokens = readTokenSettings(c)
  const identityTtl = readDuration(c, 'identity-ttl')
  const policy = readPolicy(c, access)
  const bc = parseBoundClaims(c.raw('bound-claims'))
  if (bc.error) c.problem(`Input "bound-claims" ${bc.error}.`)
  const settings: VaultSettings = {
    authPath,
    role,
    audience,
    ...keySource,
    ...tokens,
    ...policy,
    boundClaims: bc.claims ?? {},
    identityTtl: identityTtl.text
  }
  const roleBody = roleWriteBody(desiredRole(settings))
  for (const p of checkRequestStrings(roleBody, `role write (POST auth/${authPath}/role/${role})`, 'The values of input "bound-claims"')) {
    c.problem(p)
  }
  return settings
}
