import { testSettings } from '../test-support/config-fixture.js'
import { describe, expect, it } from '@jest/globals'
import { ActionError } from '../src/errors.js'
import { DEFAULT_POLICY_TEMPLATE, NEW_ACCESSOR, defaultPolicyTemplate, desiredState, type DesiredState } from '../src/vault/desired.js'
import { durationSeconds } from '../src/duration.js'
import { formatChange, lineDiff } from '../src/vault/change-text.js'
import { normalisePolicy } from '../src/vault/normalise.js'
import { planVault, type CurrentState } from '../src/vault/plan-vault.js'

const ACC = 'auth_jwt_1b8dcc32'

const settings = testSettings

/** What OpenBao 2.7 returns for the objects the action wrote (checked against a real server). */
function readBack(d: DesiredState, accessor = ACC): CurrentState {
  return {
    mount: { type: 'jwt', accessor },
    authConfig: {
      bound_issuer: '',
      default_role: d.authConfig.default_role,
      jwks_ca_pem: d.authConfig.jwks_ca_pem ?? '',
      jwks_url: d.authConfig.jwks_url ?? '',
      // read back in another order
      jwt_supported_algs: [...d.authConfig.jwt_supported_algs].reverse(),
      jwt_validation_pubkeys: (d.authConfig.jwt_validation_pubkeys ?? []).map((p) => p.trim()),
      namespace_in_state: true,
      oidc_client_id: '',
      oidc_discovery_ca_pem: '',
      oidc_discovery_url: d.authConfig.oidc_discovery_url ?? '',
      oidc_response_mode: '',
      oidc_response_types: [],
      provider_config: {},
      status: 'valid'
    },
    roles: {
      [d.roles[0].name]: {
        allowed_redirect_uris: null,
        bound_audiences: [...d.roles[0].role.bound_audiences],
        bound_claims: d.roles[0].role.bound_claims ?? null,
        bound_claims_type: 'string',
        bound_subject: '',
        claim_mappings: { nomad_task: 'nomad_task', nomad_job_id: 'nomad_job_id', nomad_namespace: 'nomad_namespace' },
        clock_skew_leeway: 0,
        role_type: 'jwt',
        token_bound_cidrs: [],
        token_explicit_max_ttl: 0,
        token_max_ttl: 0,
        token_period: d.roles[0].role.token_period,
        token_policies: [...d.roles[0].role.token_policies],
        token_ttl: 0,
        token_type: d.roles[0].role.token_type,
        user_claim: '/nomad_job_id',
        user_claim_json_pointer: true
      }
    },
    policies: { [d.policies[0].name]: d.policies[0].text(accessor) }
  }
}

const empty: CurrentState = { mount: null, authConfig: null, roles: {}, policies: {} }

describe('desiredState', () => {
  it('matches what `nomad setup vault` writes, with the inputs in place of its constants', () => {
    const d = desiredState(settings())
    expect(d.mount).toEqual({ path: 'jwt-nomad', type: 'jwt', description: expect.stringContaining('nomad-vault-action') })
    expect(d.authConfig).toEqual({
      jwks_url: 'https://nomad.example.com:4646/.well-known/jwks.json',
      jwt_supported_algs: ['RS256', 'EdDSA'],
      default_role: 'nomad-workloads'
    })
    expect(d.roles[0].role).toEqual({
      role_type: 'jwt',
      bound_audiences: ['vault.io'],
      user_claim: '/nomad_job_id',
      user_claim_json_pointer: true,
      claim_mappings: { nomad_namespace: 'nomad_namespace', nomad_job_id: 'nomad_job_id', nomad_task: 'nomad_task' },
      token_type: 'service',
      token_period: 1800,
      token_policies: ['nomad-workloads'],
      token_explicit_max_ttl: 0
    })
    expect(d.configPath).toBe('auth/jwt-nomad/config')
    expect(d.roles[0].path).toBe('auth/jwt-nomad/role/nomad-workloads')
    expect(d.policies[0].path).toBe('sys/policies/acl/nomad-workloads')
    expect(d.mountPath).toBe('sys/auth/jwt-nomad')
  })

  it('renders the nomad setup vault policy template with the accessor and kv mount', () => {
    const alias = `identity.entity.aliases.${ACC}.metadata`
    const text = desiredState(settings({ kvMount: 'kv/team' })).policies[0].text(ACC)
    expect(text).toContain(`path "kv/team/data/{{${alias}.nomad_namespace}}/{{${alias}.nomad_job_id}}/*" {`)
    expect(text).toContain(`path "kv/team/data/{{${alias}.nomad_namespace}}/{{${alias}.nomad_job_id}}" {`)
    expect(text).toContain(`path "kv/team/metadata/{{${alias}.nomad_namespace}}/*" {`)
    expect(text).toContain('path "kv/team/metadata/*" {')
    expect(text).not.toContain('auth_jwt_X')
    expect(text).not.toContain('secret/')
    expect(DEFAULT_POLICY_TEMPLATE).toBe(defaultPolicyTemplate('secret'))
    expect(DEFAULT_POLICY_TEMPLATE.match(/auth_jwt_X/g)).toHaveLength(5)
    expect(DEFAULT_POLICY_TEMPLATE.match(/capabilities = \["read"\]/g)).toHaveLength(2)
    expect(DEFAULT_POLICY_TEMPLATE.match(/capabilities = \["list"\]/g)).toHaveLength(2)
  })

  it('uses oidc discovery or static keys for the other key sources, and bound_claims when set', () => {
    const oidc = desiredState(settings({ keySource: 'oidc-discovery', oidcDiscoveryUrl: 'https://nomad.example.com', oidcDiscoveryCaPem: 'PEM' }))
    expect(oidc.authConfig).toEqual({
      oidc_discovery_url: 'https://nomad.example.com',
      oidc_discovery_ca_pem: 'PEM',
      jwt_supported_algs: ['RS256', 'EdDSA'],
      default_role: 'nomad-workloads'
    })
    const stat = desiredState(settings({ keySource: 'static' }), { staticKeys: ['K1', 'K2'] })
    expect(stat.authConfig.jwt_validation_pubkeys).toEqual(['K1', 'K2'])
    expect(stat.authConfig.jwks_url).toBeUndefined()
    expect(() => desiredState(settings({ keySource: 'static' }))).toThrow(ActionError)
    const withCa = desiredState(settings({ jwksCaPem: 'CA' }))
    expect(withCa.authConfig.jwks_ca_pem).toBe('CA')
    const bc = desiredState(settings({ boundClaims: { nomad_namespace: ['prod', 'staging'] } }))
    expect(bc.roles[0].role.bound_claims).toEqual({ nomad_namespace: ['prod', 'staging'] })
  })
})

describe('planVault', () => {
  it('creates everything, in apply order, from an empty Vault', () => {
    const d = desiredState(settings())
    const changes = planVault(empty, d)
    expect(changes.map((c) => [c.resource, c.action, c.path])).toEqual([
      ['auth-mount', 'create', 'sys/auth/jwt-nomad'],
      ['auth-config', 'create', 'auth/jwt-nomad/config'],
      ['policy', 'create', 'sys/policies/acl/nomad-workloads'],
      ['role', 'create', 'auth/jwt-nomad/role/nomad-workloads']
    ])
    expect(changes[0].diff).toContainEqual({ field: 'type', before: undefined, after: 'jwt' })
    expect(changes[1].diff).toContainEqual({ field: 'jwks_url', before: undefined, after: d.authConfig.jwks_url })
    expect(changes[1].diff.map((f) => f.field)).toEqual(['jwks_url', 'jwt_supported_algs', 'default_role'])
    // the accessor of a mount that does not exist yet is shown as a placeholder
    const policy = changes[2].diff[0].after as string
    expect(policy).toContain(`identity.entity.aliases.${NEW_ACCESSOR}.metadata.nomad_namespace`)
    expect(changes[3].diff).toContainEqual({ field: 'token_period', before: undefined, after: 1800 })
    expect(changes[3].diff).toContainEqual({ field: 'token_policies', before: undefined, after: ['nomad-workloads'] })
  })

  it('ignores what the reads returned under a mount that does not exist', () => {
    const d = desiredState(settings())
    const stale = readBack(d)
    const changes = planVault({ ...stale, mount: null }, d)
    expect(changes.map((c) => `${c.resource}:${c.action}`)).toEqual(['auth-mount:create', 'auth-config:create', 'policy:update', 'role:create'])
  })

  it('makes no change when Vault has it all (seconds, reordered arrays, empty vs missing, whitespace)', () => {
    const d = desiredState(settings())
    expect(planVault(readBack(d), d)).toEqual([])

    const current = readBack(d)
    current.roles['nomad-workloads']!.token_period = '30m' // either form
    current.roles['nomad-workloads']!.bound_audiences = 'vault.io' // comma-string form
    current.roles['nomad-workloads']!.token_explicit_max_ttl = undefined // missing == 0
    current.roles['nomad-workloads']!.bound_claims = {} // empty == missing
    current.authConfig!.jwt_supported_algs = ['EdDSA', 'RS256', 'RS256']
    current.policies['nomad-workloads'] = '\r\n' + d.policies[0].text(ACC).replace(/\n/g, '\r\n\n   ').replace(/ = /g, '=') + '\n\n'
    expect(planVault(current, d)).toEqual([])
  })

  it('treats a static key or CA PEM with other whitespace as equal', () => {
    const pem = '-----BEGIN PUBLIC KEY-----\nMIIBIjAN\nBgkqhkiG\n-----END PUBLIC KEY-----\n'
    const d = desiredState(settings({ keySource: 'static', jwksCaPem: pem }), { staticKeys: [pem, pem.replace('MIIB', 'MIIC')] })
    const current = readBack(d)
    current.authConfig!.jwt_validation_pubkeys = [pem.replace('MIIB', 'MIIC').trim(), '  ' + pem.replace(/\n/g, '\r\n')]
    expect(planVault(current, d)).toEqual([])
  })

  it('reports drift per field with before and after', () => {
    const d = desiredState(settings())
    const cases: Array<[(c: CurrentState) => void, string, string, unknown, unknown]> = [
      [(c) => (c.roles['nomad-workloads']!.token_period = 3600), 'role', 'token_period', 3600, 1800],
      [(c) => (c.roles['nomad-workloads']!.bound_audiences = ['other.io']), 'role', 'bound_audiences', ['other.io'], ['vault.io']],
      [(c) => (c.roles['nomad-workloads']!.token_policies = ['default']), 'role', 'token_policies', ['default'], ['nomad-workloads']],
      [(c) => (c.roles['nomad-workloads']!.user_claim = '/nomad_namespace'), 'role', 'user_claim', '/nomad_namespace', '/nomad_job_id'],
      [(c) => (c.roles['nomad-workloads']!.token_type = 'batch'), 'role', 'token_type', 'batch', 'service'],
      [(c) => (c.roles['nomad-workloads']!.user_claim_json_pointer = false), 'role', 'user_claim_json_pointer', false, true],
      [(c) => (c.roles['nomad-workloads']!.role_type = 'oidc'), 'role', 'role_type', 'oidc', 'jwt'],
      [(c) => (c.roles['nomad-workloads']!.token_explicit_max_ttl = 60), 'role', 'token_explicit_max_ttl', 60, 0],
      [(c) => (c.roles['nomad-workloads']!.bound_claims = { a: 'b' }), 'role', 'bound_claims', { a: 'b' }, undefined],
      [
        (c) => (c.roles['nomad-workloads']!.claim_mappings = { nomad_job_id: 'nomad_job_id' }),
        'role',
        'claim_mappings',
        { nomad_job_id: 'nomad_job_id' },
        d.roles[0].role.claim_mappings
      ],
      [
        (c) => (c.authConfig!.jwks_url = 'http://old:4646/.well-known/jwks.json'),
        'auth-config',
        'jwks_url',
        'http://old:4646/.well-known/jwks.json',
        d.authConfig.jwks_url
      ],
      [(c) => (c.authConfig!.jwt_supported_algs = ['RS256']), 'auth-config', 'jwt_supported_algs', ['RS256'], ['RS256', 'EdDSA']],
      [(c) => (c.authConfig!.default_role = 'x'), 'auth-config', 'default_role', 'x', 'nomad-workloads'],
      [(c) => (c.authConfig!.bound_issuer = 'https://nomad'), 'auth-config', 'bound_issuer', 'https://nomad', undefined]
    ]
    for (const [mutate, resource, field, before, after] of cases) {
      const current = readBack(d)
      mutate(current)
      const changes = planVault(current, d)
      expect(changes).toEqual([
        { resource, action: 'update', path: resource === 'role' ? d.roles[0].path : d.configPath, diff: [{ field, before, after }] }
      ])
    }
  })

  it('shows PEMs as fingerprints, never the full text', () => {
    const ca = '-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUQ\n-----END CERTIFICATE-----\n'
    const d = desiredState(settings({ jwksCaPem: ca }))
    const current = readBack(d)
    current.authConfig!.jwks_ca_pem = ''
    const [change] = planVault(current, d)
    expect(change.diff).toEqual([{ field: 'jwks_ca_pem', before: undefined, after: expect.stringMatching(/^PEM sha256:[0-9a-f]{16}$/) }])
    expect(JSON.stringify(change)).not.toContain('MIIBszCC')
  })

  it('shows switching key source as removal of the old field', () => {
    const jwks = desiredState(settings())
    const stat = desiredState(settings({ keySource: 'static' }), {
      staticKeys: ['-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n']
    })
    const [change] = planVault(readBack(jwks), stat)
    expect(change.resource).toBe('auth-config')
    expect(change.diff).toEqual([
      { field: 'jwks_url', before: jwks.authConfig.jwks_url, after: undefined },
      { field: 'jwt_validation_pubkeys', before: undefined, after: [expect.stringMatching(/^PEM sha256:/)] }
    ])
  })

  it('updates a policy whose text differs, and a policy written for another accessor', () => {
    const d = desiredState(settings())
    const current = readBack(d)
    current.policies['nomad-workloads'] = 'path "secret/*" { capabilities = ["read"] }'
    const changes = planVault(current, d)
    expect(changes).toEqual([
      {
        resource: 'policy',
        action: 'update',
        path: 'sys/policies/acl/nomad-workloads',
        diff: [{ field: 'policy', before: current.policies['nomad-workloads'], after: d.policies[0].text(ACC) }]
      }
    ])
    const other = readBack(d, 'auth_jwt_new')
    other.policies['nomad-workloads'] = d.policies[0].text(ACC)
    expect(planVault(other, d).map((c) => c.resource)).toEqual(['policy'])
  })

  it('substitutes the accessor in a custom policy', () => {
    const custom = [
      'path "kv/data/{{identity.entity.aliases.auth_jwt_X.metadata.nomad_job_id}}/*" {',
      '  capabilities = ["read"]',
      '}',
      '# auth_jwt_Xyz is not the placeholder',
      ''
    ].join('\n')
    const d = desiredState(settings({ policyText: custom }))
    const text = d.policies[0].text(ACC)
    expect(text).toContain(`{{identity.entity.aliases.${ACC}.metadata.nomad_job_id}}`)
    expect(text).toContain('auth_jwt_Xyz')
    const changes = planVault({ ...readBack(d), policies: { 'nomad-workloads': custom } }, d)
    expect(changes).toHaveLength(1)
    expect(changes[0].diff[0].after).toBe(text)
    expect(planVault({ ...readBack(d), policies: { 'nomad-workloads': text } }, d)).toEqual([])
  })

  it('refuses a mount of another type at the auth path, naming auth-path, the type and the fix', () => {
    const d = desiredState(settings())
    const current: CurrentState = { ...empty, mount: { type: 'approle', accessor: 'auth_approle_1' } }
    expect(() => planVault(current, d)).toThrow(ActionError)
    expect(() => planVault(current, d)).toThrow(/auth-path "jwt-nomad".*type "approle".*Choose another auth-path/s)
  })
})

describe('helpers', () => {
  it('parses Vault durations', () => {
    expect(durationSeconds(1800)).toBe(1800)
    expect(durationSeconds('1800')).toBe(1800)
    expect(durationSeconds('30m')).toBe(1800)
    expect(durationSeconds('1h30m')).toBe(5400)
    expect(durationSeconds('')).toBe(0)
    expect(durationSeconds('soon')).toBeNaN()
  })

  it('normalises policy whitespace only outside strings', () => {
    expect(normalisePolicy('path  "a"\n{\n capabilities=["read"]\n}')).toBe(
      normalisePolicy('path "a" { capabilities = ["read"] }'.replace(' = ', '='))
    )
    expect(normalisePolicy('path "a  b" {}')).not.toBe(normalisePolicy('path "a b" {}'))
    // a comment ends at its newline: code after it is not swallowed into it
    expect(normalisePolicy('# x\npath "a" {}')).not.toBe(normalisePolicy('# x path "a" {}'))
    expect(normalisePolicy('  # x  \n\npath "a" {}\n')).toBe(normalisePolicy('# x\npath "a" {}'))
  })

  it('formats changes as before → after lines and policy line diffs', () => {
    const lines = formatChange({
      resource: 'role',
      action: 'update',
      path: 'auth/jwt-nomad/role/r',
      diff: [{ field: 'token_period', before: 3600, after: 1800 }]
    })
    expect(lines).toEqual(['update role auth/jwt-nomad/role/r', '  token_period: 3600 → 1800'])
    expect(lineDiff('a\nb\nc\n', 'a\nx\nc\n')).toEqual(['  a', '+ x', '- b', '  c'])
  })
})
