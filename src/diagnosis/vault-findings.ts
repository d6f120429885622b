/**
 * Vault-side findings of `mode: check`, as pure functions of what was read: drift from the desired state (the same
 * plan as a deploy, field by field), the key source, the accepted algorithms and the role's audience.
 */
import type { VaultSettings } from '../config.js'
import { errorMessage } from '../errors.js'
import { keyFingerprint } from '../keys/jwks.js'
import type { DesiredState } from '../vault/desired.js'
import { normalisePem } from '../vault/normalise.js'
import { planUndeclared, planVault, type Change, type CurrentState } from '../vault/plan-vault.js'
import type { Finding } from './findings.js'

/** One signing key Nomad publishes, with its PEM when it could be converted. */
export interface PublishedKey {
  kid: string
  alg: string
  pem?: string
  problem?: string
}

export interface VaultCheckInput {
  settings: VaultSettings
  current: CurrentState
  /** null when it could not be built (e.g. static keys that could not be fetched). */
  desired: DesiredState | null
  /** The keys of jwks-url as the runner fetched them; null when the fetch failed (jwksError says why). */
  keys: PublishedKey[] | null
  jwksError?: string
  /** default_identity.aud of the Nomad servers; undefined when it could not be read. */
  serverAudiences?: string[]
}

/** Vault's JWT auth treats an empty jwt_supported_algs as RS256 only (vault-plugin-auth-jwt path_config.go). */
const VAULT_DEFAULT_ALGS = ['RS256']

export function vaultFindings(input: VaultCheckInput): Finding[] {
  const { settings, current } = input
  const findings: Finding[] = []
  const mountPath = settings.authPath
  if (!current.mount) {
    findings.push({
      severity: 'error',
      check: 'vault-mount',
      message: `Vault has no auth method at auth-path "${mountPath}": no Nomad task can log in.`,
      fix: 'Run the action with mode: setup (or deploy) to create it, or set auth-path to the mount you use.'
    })
    return findings
  }
  if (current.mount.type !== 'jwt') {
    findings.push({
      severity: 'error',
      check: 'vault-mount',
      message: `Vault has an auth method of type "${current.mount.type}" at auth-path "${mountPath}", not jwt.`,
      fix: 'Choose another auth-path for the JWT auth method; the action never replaces another auth method.',
      evidence: current.mount
    })
    return findings
  }

  // Drift: the same plan a deploy makes, without the static keys (reported with the kids below).
  if (input.desired) {
    let changes: Change[]
    try {
      changes = planVault(current, input.desired)
    } catch (err) {
      findings.push({ severity: 'error', check: 'vault-drift', message: errorMessage(err), fix: 'See the message.' })
      changes = []
    }
    for (const c of changes) {
      if (c.action === 'delete') continue // reported below, as not declared
      const diff = c.diff.filter((d) => d.field !== 'jwt_validation_pubkeys')
      if (diff.length === 0) continue
      const fields = diff.map((d) => d.field).join(', ')
      findings.push({
        severity: 'error',
        check: 'vault-drift',
        message:
          c.action === 'create' ? `${c.resource} ${c.path} does not exist.` : `${c.resource} ${c.path} differs from the desired state in ${fields}.`,
        fix: 'Run the action with mode: deploy or setup to repair it (it writes only these fields), or change the inputs if Vault is right.',
        evidence: diff
      })
    }
    const undeclared = planUndeclared(current, input.desired)
    if (undeclared.length > 0) {
      findings.push({
        severity: 'warning',
        check: 'vault-drift',
        message: `Managed but no longer declared in roles: ${undeclared.map((c) => `${c.resource} ${c.path}`).join(', ')}.`,
        fix: 'Run the action with prune: true to remove them, or declare them again in roles.',
        evidence: undeclared.map((c) => c.path)
      })
    }
    if (!findings.some((f) => f.check === 'vault-drift')) {
      findings.push({
        severity: 'info',
        check: 'vault-drift',
        message: `Auth method "${mountPath}", role(s) ${input.desired.roles.map((r) => `"${r.name}"`).join(', ')} and policy(ies) ${input.desired.policies.map((p) => `"${p.name}"`).join(', ')} match the desired state.`,
        fix: ''
      })
    }
  }

  findings.push(...keySourceFindings(input))
  findings.push(...algorithmFindings(input))
  findings.push(...audienceFindings(input))
  return findings
}

function keySourceFindings(input: VaultCheckInput): Finding[] {
  const { settings, current, keys } = input
  const url = settings.jwksUrl
  if (settings.keySource === 'oidc-discovery') {
    return [
      {
        severity: 'info',
        check: 'key-source',
        message: `Vault discovers Nomad's keys through ${settings.oidcDiscoveryUrl}; the runner did not check that Vault can reach it.`,
        fix: 'A deploy or setup run proves it: Vault validates oidc_discovery_url when the auth config is written.'
      }
    ]
  }
  if (!keys) {
    return [
      {
        severity: settings.keySource === 'static' ? 'error' : 'warning',
        check: 'key-source',
        message: `The runner could not fetch the JWKS at jwks-url ${url}: ${input.jwksError ?? 'unknown error'}`,
        fix:
          settings.keySource === 'static'
            ? 'With key-source: static the runner must reach jwks-url to compare (and, in a deploy, write) the keys: check the URL and jwks-ca-cert.'
            : 'With key-source: jwks only the Vault server must reach jwks-url; if it can, this is harmless. A deploy or setup run proves it (Vault validates jwks_url when the config is written).'
      }
    ]
  }
  const usable = keys.filter((k) => k.pem)
  const unusable = keys.filter((k) => !k.pem)
  const out: Finding[] = []
  if (unusable.length > 0) {
    out.push({
      severity: 'warning',
      check: 'key-source',
      message: `Nomad publishes ${unusable.length} key(s) Vault cannot use: ${unusable.map((k) => `${k.kid} (${k.problem})`).join('; ')}.`,
      fix: "Rotate Nomad's root key (nomad operator root keyring rotate -prepublish 1h) so that it signs with RSA or Ed25519.",
      evidence: unusable.map((k) => ({ kid: k.kid, alg: k.alg }))
    })
  }
  if (settings.keySource === 'jwks') {
    out.push({
      severity: 'info',
      check: 'key-source',
      message:
        `The runner fetched ${keys.length} key(s) from jwks-url ${url} (kid ${keys.map((k) => k.kid).join(', ')}). ` +
        "This proves the URL serves Nomad's keys; it does not prove that the Vault SERVER can reach it.",
      fix: 'A deploy or setup run proves it: Vault fetches and validates jwks_url whenever the auth config is written (OpenBao and Vault both do).'
    })
    return out
  }
  // static: the keys in Vault must be exactly the keys Nomad publishes now (active, inactive still in use, prepublished).
  const have = new Map<string, string>()
  const raw = current.authConfig?.jwt_validation_pubkeys
  for (const p of Array.isArray(raw) ? raw : []) have.set(normalisePem(String(p)), String(p))
  const published = new Set(usable.map((k) => normalisePem(k.pem!)))
  const missing = usable.filter((k) => !have.has(normalisePem(k.pem!)))
  const stale = [...have.keys()].filter((p) => !published.has(p))
  if (missing.length > 0) {
    out.push({
      severity: 'error',
      check: 'key-source',
      message:
        `Vault's jwt_validation_pubkeys lack ${missing.length} of the ${usable.length} key(s) Nomad publishes now (kid ${missing.map((k) => k.kid).join(', ')}); ` +
        'identities signed by them (including a prepublished key once it becomes active) fail to log in.',
      fix: 'Run the action (mode: deploy or setup) with key-source: static; schedule it (see docs/operations.md, section "Key rotation without a gap (`key-source: static`)") so that prepublished keys reach Vault before they sign.',
      evidence: { missing: missing.map((k) => ({ kid: k.kid, fingerprint: keyFingerprint(k.pem!) })) }
    })
  }
  if (stale.length > 0) {
    out.push({
      severity: 'warning',
      check: 'key-source',
      message: `Vault still trusts ${stale.length} key(s) that Nomad no longer publishes.`,
      fix: 'Run the action with key-source: static: it drops keys Nomad no longer publishes.',
      evidence: { stale: stale.map((p) => keyFingerprint(p)) }
    })
  }
  if (missing.length === 0 && stale.length === 0) {
    out.push({
      severity: 'info',
      check: 'key-source',
      message: `Vault's static keys are exactly the ${usable.length} key(s) Nomad publishes now (kid ${usable.map((k) => k.kid).join(', ')}).`,
      fix: ''
    })
  }
  return out
}

function algorithmFindings(input: VaultCheckInput): Finding[] {
  if (!input.keys || input.keys.length === 0) return []
  const raw = input.current.authConfig?.jwt_supported_algs
  const configured = Array.isArray(raw) && raw.length > 0 ? raw.map(String) : typeof raw === 'string' && raw ? raw.split(',') : VAULT_DEFAULT_ALGS
  const used = [...new Set(input.keys.map((k) => k.alg).filter(Boolean))]
  const missing = used.filter((a) => !configured.includes(a))
  if (missing.length === 0) return []
  return [
    {
      severity: 'error',
      check: 'jwt-algs',
      message: `Nomad signs with ${missing.join(', ')}, but Vault's jwt_supported_algs is ${JSON.stringify(configured)}: those identities fail to log in.`,
      fix: 'Run the action (mode: deploy or setup): it sets jwt_supported_algs to RS256 and EdDSA.',
      evidence: { nomadAlgorithms: used, vaultAlgorithms: configured }
    }
  ]
}

function audienceFindings(input: VaultCheckInput): Finding[] {
  // The first declared role: every declared role carries the same bound_audiences.
  const name = input.settings.roles[0].name
  const role = input.current.roles[name]
  if (!role) return []
  const raw = role.bound_audiences
  const bound = Array.isArray(raw) ? raw.map(String) : typeof raw === 'string' && raw ? raw.split(',') : []
  if (input.serverAudiences === undefined) return []
  if (input.serverAudiences.length === 0) return [] // no default_identity: reported on the Nomad side
  if (bound.some((a) => input.serverAudiences!.includes(a))) return []
  return [
    {
      severity: 'error',
      check: 'audience',
      message:
        `Role "${name}" accepts the audience(s) ${JSON.stringify(bound)}, but the Nomad servers' vault.default_identity.aud is ` +
        `${JSON.stringify(input.serverAudiences)}: tasks fail with "invalid audience (aud) claim" (nomad#25079).`,
      fix: `Make them match: set the input audience to the servers' value, or put aud = ["${input.settings.audience}"] in the servers' default_identity (see the output nomad-server-config).`,
      evidence: { roleBoundAudiences: bound, serverDefaultIdentityAud: input.serverAudiences }
    }
  ]
}
