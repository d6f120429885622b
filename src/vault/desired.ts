/**
 * The Vault objects the action wants, as a pure function of the settings. The shapes follow what
 * `nomad setup vault` writes (Nomad's command/setup_vault.go and its command/asset/*.hcl, *.json), with the
 * action's inputs in place of its constants.
 */
import type { BoundClaims, RoleSettings, VaultSettings } from '../config.js'
import { ActionError } from '../errors.js'
import { defaultRoleName } from '../role-choice.js'

/** The literal in policy templates that stands for the JWT mount's accessor (as in `nomad setup vault`). */
export const ACCESSOR_PLACEHOLDER = 'auth_jwt_X'

/** Shown in place of the accessor when the mount does not exist yet (dry run, or a plan before creation). */
export const NEW_ACCESSOR = '<accessor of new mount>'

export const MOUNT_DESCRIPTION = 'Nomad workload identity (managed by nomad-vault-action)'

/**
 * The description `mode: destroy` gives the auth method before its first delete (sys/auth/<path>/tune), and puts
 * back when it stops: a deploy that meets it (reading, reading back, or in its last look before success) fails
 * instead of writing into an auth method that is about to be disabled. With the destroy's second LIST of the roles,
 * right before it disables the method, a deploy and a destroy on one auth path can never both succeed.
 */
export const MOUNT_DESCRIPTION_DESTROYING = 'Nomad workload identity (managed by nomad-vault-action; mode: destroy is removing it)'

/**
 * First line of every policy the action writes: the marker that `mode: destroy` looks for. Vault and OpenBao keep a
 * policy's text as written, comments included (JWT roles keep no free-form field, so a role counts as managed when it
 * lives on a mount with MOUNT_DESCRIPTION).
 */
export const POLICY_MARKER = '# managed by nomad-vault-action (mode: destroy removes it; delete this line to keep it)'

/** The policy text with the marker as its first line (once). */
export function markPolicy(text: string): string {
  return text.startsWith(POLICY_MARKER) ? text : `${POLICY_MARKER}\n${text}`
}

/**
 * The default templated policy of `nomad setup vault` (command/asset/vault-wi-default-policy.hcl), with the KV v2
 * mount as a parameter: each job reads secrets under <kv-mount>/data/<nomad namespace>/<job id>.
 */
export function defaultPolicyTemplate(kvMount = 'secret'): string {
  const kv = kvMount.replace(/^\/+|\/+$/g, '')
  const alias = `identity.entity.aliases.${ACCESSOR_PLACEHOLDER}.metadata`
  const rule = (path: string, capability: string) => `path "${path}" {\n  capabilities = ["${capability}"]\n}\n`
  return [
    rule(`${kv}/data/{{${alias}.nomad_namespace}}/{{${alias}.nomad_job_id}}/*`, 'read'),
    rule(`${kv}/data/{{${alias}.nomad_namespace}}/{{${alias}.nomad_job_id}}`, 'read'),
    rule(`${kv}/metadata/{{${alias}.nomad_namespace}}/*`, 'list'),
    rule(`${kv}/metadata/*`, 'list')
  ].join('\n')
}

/** The template exactly as `nomad setup vault` ships it (kv mount `secret`). */
export const DEFAULT_POLICY_TEMPLATE = defaultPolicyTemplate('secret')

const PLACEHOLDER_RE = new RegExp(`\\b${ACCESSOR_PLACEHOLDER}\\b`, 'g')

/** Replaces every ACCESSOR_PLACEHOLDER (as a whole word) with the accessor ('' → the NEW_ACCESSOR marker). */
export function renderPolicy(template: string, accessor: string): string {
  return template.replace(PLACEHOLDER_RE, accessor || NEW_ACCESSOR)
}

export interface DesiredMount {
  path: string
  type: 'jwt'
  description: string
}

/** Body of POST auth/<path>/config. Vault replaces the whole config on each write. */
export interface DesiredAuthConfig {
  jwks_url?: string
  jwks_ca_pem?: string
  oidc_discovery_url?: string
  oidc_discovery_ca_pem?: string
  jwt_validation_pubkeys?: string[]
  jwt_supported_algs: string[]
  default_role: string
}

/** Body of POST auth/<path>/role/<role>. */
export interface DesiredRole {
  role_type: 'jwt'
  bound_audiences: string[]
  user_claim: string
  user_claim_json_pointer: boolean
  claim_mappings: Record<string, string>
  token_type: string
  /** Seconds (Vault reads durations back as seconds). */
  token_period: number
  token_policies: string[]
  token_explicit_max_ttl: number
  bound_claims?: BoundClaims
}

export interface DesiredPolicy {
  name: string
  /** The policy text for a mount accessor ('' when the mount does not exist yet). */
  text: (accessor: string) => string
}

/** One declared role: its name, its write body and its path. */
export interface DesiredRoleEntry {
  name: string
  role: DesiredRole
  path: string
}

/** One policy the declared roles use (several roles may share one policy), with its path. */
export interface DesiredPolicyEntry extends DesiredPolicy {
  path: string
}

export interface DesiredState {
  mount: DesiredMount
  authConfig: DesiredAuthConfig
  configPath: string
  mountPath: string
  /** Every declared role, in input order. */
  roles: DesiredRoleEntry[]
  /** Every policy the declared roles use, once each, in input order. */
  policies: DesiredPolicyEntry[]
  /** Remove managed roles (and their marked policies) that are no longer declared (input prune). */
  prune: boolean
}

export const SUPPORTED_ALGS = ['RS256', 'EdDSA']

export const CLAIM_MAPPINGS: Readonly<Record<string, string>> = Object.freeze({
  nomad_namespace: 'nomad_namespace',
  nomad_job_id: 'nomad_job_id',
  nomad_task: 'nomad_task'
})

/** The write body of one declared role (without bound_claims when there are none). */
export function desiredRoleFor(r: RoleSettings, audience: string): DesiredRole {
  const role: DesiredRole = {
    role_type: 'jwt',
    bound_audiences: [audience],
    user_claim: '/nomad_job_id',
    user_claim_json_pointer: true,
    claim_mappings: { ...CLAIM_MAPPINGS },
    token_type: r.tokenType,
    token_period: r.tokenPeriodSeconds,
    token_policies: [r.policy],
    token_explicit_max_ttl: 0
  }
  if (r.boundClaims && Object.keys(r.boundClaims).length > 0) {
    role.bound_claims = cloneClaims(r.boundClaims)
  }
  return role
}

/** The body of the role write. bound_claims is always sent, so that claims removed from the input go too. */
export function roleWriteBody(role: DesiredRole): Record<string, unknown> {
  return { ...role, bound_claims: role.bound_claims ?? {} }
}

export function desiredState(settings: VaultSettings, extra: { staticKeys?: string[] } = {}): DesiredState {
  const path = settings.authPath.replace(/^\/+|\/+$/g, '')
  const declared = settings.roles
  const authConfig: DesiredAuthConfig = {
    ...keySourceFields(settings, extra.staticKeys),
    jwt_supported_algs: [...SUPPORTED_ALGS],
    default_role: defaultRoleName(declared)
  }
  const roles = declared.map((r) => ({ name: r.name, role: desiredRoleFor(r, settings.audience), path: `auth/${path}/role/${r.name}` }))
  const policies: DesiredPolicyEntry[] = []
  for (const r of declared) {
    if (policies.some((p) => p.name === r.policy)) continue
    const template = r.policyText ?? defaultPolicyTemplate(r.kvMount)
    policies.push({ name: r.policy, path: `sys/policies/acl/${r.policy}`, text: (accessor) => markPolicy(renderPolicy(template, accessor)) })
  }
  return {
    mount: { path, type: 'jwt', description: MOUNT_DESCRIPTION },
    authConfig,
    mountPath: `sys/auth/${path}`,
    configPath: `auth/${path}/config`,
    roles,
    policies,
    prune: settings.prune === true
  }
}

function keySourceFields(
  s: VaultSettings,
  staticKeys: string[] | undefined
): Pick<DesiredAuthConfig, 'jwks_url' | 'jwks_ca_pem' | 'oidc_discovery_url' | 'oidc_discovery_ca_pem' | 'jwt_validation_pubkeys'> {
  switch (s.keySource) {
    case 'jwks':
      if (!s.jwksUrl) throw new ActionError('Input "jwks-url" is required for key-source: jwks.')
      return { jwks_url: s.jwksUrl, ...(s.jwksCaPem ? { jwks_ca_pem: s.jwksCaPem } : {}) }
    case 'oidc-discovery':
      if (!s.oidcDiscoveryUrl) {
        throw new ActionError('Input "oidc-discovery-url" is required for key-source: oidc-discovery.')
      }
      return {
        oidc_discovery_url: s.oidcDiscoveryUrl,
        ...(s.oidcDiscoveryCaPem ? { oidc_discovery_ca_pem: s.oidcDiscoveryCaPem } : {})
      }
    case 'static':
      if (!staticKeys || staticKeys.length === 0) {
        throw new ActionError(`key-source: static needs the public keys of jwks-url "${s.jwksUrl}", and none were fetched.`)
      }
      return { jwt_validation_pubkeys: [...staticKeys] }
    default:
      throw new ActionError(`Unknown key-source "${String(s.keySource)}": use jwks, oidc-discovery or static.`)
  }
}

function cloneClaims(c: BoundClaims): BoundClaims {
  const out: BoundClaims = {}
  for (const [k, v] of Object.entries(c)) out[k] = Array.isArray(v) ? [...v] : v
  return out
}
