/** A complete Config for unit and integration tests, with the action's defaults; override any part. */
import type { Config, JobSettings, NomadConnection, RoleSettings, VaultConnection, VaultSettings } from '../src/config.js'

/**
 * Overrides of the settings, and the fields of the single-role inputs (role, policy, kv-mount, policy-file,
 * bound-claims, token-type, token-period): like the input parser, testSettings turns those into a list of one role.
 */
export type SettingsOverrides = Partial<VaultSettings> & Partial<Omit<RoleSettings, 'name'>> & { role?: string }

export function testSettings(over: SettingsOverrides = {}): VaultSettings {
  const { role, policy, kvMount, policyText, boundClaims, tokenType, tokenPeriodSeconds, ...rest } = over
  const one: RoleSettings = {
    name: role ?? 'nomad-workloads',
    policy: policy ?? 'nomad-workloads',
    kvMount: kvMount ?? 'secret',
    boundClaims: boundClaims ?? {},
    tokenType: tokenType ?? 'service',
    tokenPeriodSeconds: tokenPeriodSeconds ?? 1800,
    ...(policyText !== undefined ? { policyText } : {})
  }
  return {
    authPath: 'jwt-nomad',
    audience: 'vault.io',
    keySource: 'jwks',
    jwksUrl: 'https://nomad.example.com:4646/.well-known/jwks.json',
    identityTtl: '1h',
    roles: [one],
    rolesInput: rest.roles !== undefined,
    ...rest
  }
}

export interface ConfigOverrides {
  vault?: Partial<VaultConnection>
  nomad?: Partial<NomadConnection>
  settings?: SettingsOverrides
  job?: Partial<JobSettings>
  dryRun?: boolean
}

export function testConfig(over: ConfigOverrides = {}): Config {
  return {
    auth: { vault: { method: 'token', path: 'jwt', role: '', audience: '' }, nomad: { method: 'token', methodName: 'github', audience: '' } },
    vault: { addr: 'https://vault.example.com:8200', token: 'hvs.secret-token', skipVerify: false, namespace: '', ...over.vault },
    nomad: { addr: 'https://nomad.example.com:4646', token: '', skipVerify: false, namespace: '', region: '', ...over.nomad },
    settings: testSettings(over.settings),
    job: {
      files: [],
      variables: {},
      varFiles: [],
      injectVault: 'none',
      meta: false,
      wait: 'none',
      timeoutMs: 0,
      autoPromote: false,
      preserveCounts: false,
      policyOverride: false,
      maxParallel: 4,
      ...over.job
    },
    dryRun: over.dryRun ?? false,
    tempDir: '/tmp'
  }
}

/** One entry of the roles input: policy <name>-policy, KV mount secret, bound to Nomad namespace `namespace`. */
export function testRole(name: string, namespace = name): RoleSettings {
  return {
    name,
    policy: `${name}-policy`,
    kvMount: 'secret',
    boundClaims: { nomad_namespace: namespace },
    tokenType: 'service',
    tokenPeriodSeconds: 1800
  }
}
