/** The pure parts of mode: check: findings from what was read, the policy hazard, the verdict. */
import { describe, expect, it } from '@jest/globals'
import { checkVerdict, findingsOutput, findingsSummary, sortFindings, type Finding } from '../src/diagnosis/findings.js'
import { nomadFindings } from '../src/diagnosis/nomad-findings.js'
import { policyHazards } from '../src/diagnosis/policy-hazards.js'
import { vaultFindings } from '../src/diagnosis/vault-findings.js'
import { desiredState, defaultPolicyTemplate, CLAIM_MAPPINGS } from '../src/vault/desired.js'
import { testSettings } from '../test-support/config-fixture.js'

const ACC = 'auth_jwt_1234'
const role = (over: Record<string, unknown> = {}) => ({ user_claim: '/nomad_job_id', claim_mappings: { ...CLAIM_MAPPINGS }, ...over })

describe('policy hazard (nomad#20099)', () => {
  const text = defaultPolicyTemplate('secret').replace(/auth_jwt_X/g, ACC)

  it('the default policy templates on nomad_namespace: a warning with evidence when one job ID runs in two namespaces', () => {
    const f = policyHazards({
      policyName: 'p',
      policyText: text,
      accessor: ACC,
      role: role(),
      jobs: [
        { id: 'web', namespace: 'default', vaultTasks: ['web/server'] },
        { id: 'web', namespace: 'prod', vaultTasks: ['web/server'] }
      ]
    })
    expect(f).toHaveLength(1)
    expect(f[0]).toMatchObject({
      severity: 'warning',
      check: 'policy-hazard',
      evidence: { templatedKey: 'nomad_namespace', jobIdsInSeveralNamespaces: ['web: default, prod'] }
    })
    expect(f[0].fix).toContain('/extra_claims/unique_id')
  })

  it('is only an info while no job ID is shared, and nothing when bound_claims pins the namespace', () => {
    expect(policyHazards({ policyName: 'p', policyText: text, accessor: ACC, role: role(), jobs: [] })[0].severity).toBe('info')
    expect(policyHazards({ policyName: 'p', policyText: text, accessor: ACC, role: role({ bound_claims: { nomad_namespace: ['prod'] } }) })).toEqual(
      []
    )
  })

  it('templating on nomad_task is always a warning; on the alias name (the user claim) it is safe', () => {
    const task = `path "secret/data/{{identity.entity.aliases.${ACC}.metadata.nomad_task}}/*" { capabilities = ["read"] }`
    expect(policyHazards({ policyName: 'p', policyText: task, accessor: ACC, role: role() })[0]).toMatchObject({
      severity: 'warning',
      evidence: { claim: 'nomad_task' }
    })
    const job = `path "secret/data/{{identity.entity.aliases.${ACC}.metadata.nomad_job_id}}/*" { capabilities = ["read"] }`
    expect(policyHazards({ policyName: 'p', policyText: job, accessor: ACC, role: role() })).toEqual([])
    // another mount's alias is not ours to judge
    const other = task.replace(ACC, 'auth_jwt_other')
    expect(policyHazards({ policyName: 'p', policyText: other, accessor: ACC, role: role() })).toEqual([])
  })
})

describe('vault findings', () => {
  const settings = testSettings()
  const desired = desiredState(settings)
  const mount = { type: 'jwt', accessor: ACC }
  const config = { jwks_url: settings.jwksUrl, jwt_supported_algs: ['RS256'], default_role: settings.roles[0].name }

  it('a missing mount is one error and nothing else is judged', () => {
    const f = vaultFindings({ settings, current: { mount: null, authConfig: null, roles: {}, policies: {} }, desired, keys: null })
    expect(f).toEqual([expect.objectContaining({ severity: 'error', check: 'vault-mount' })])
  })

  it('an algorithm Nomad signs with that Vault does not accept is an error; drift is reported per resource', () => {
    const f = vaultFindings({
      settings,
      current: { mount, authConfig: config, roles: {}, policies: {} },
      desired,
      keys: [{ kid: 'k1', alg: 'EdDSA', pem: '-----BEGIN PUBLIC KEY-----\nx\n-----END PUBLIC KEY-----\n' }]
    })
    expect(f.find((x) => x.check === 'jwt-algs')).toMatchObject({
      severity: 'error',
      evidence: { nomadAlgorithms: ['EdDSA'], vaultAlgorithms: ['RS256'] }
    })
    const drift = f.filter((x) => x.check === 'vault-drift').map((x) => x.message)
    expect(drift).toEqual(
      expect.arrayContaining([
        'auth-config auth/jwt-nomad/config differs from the desired state in jwt_supported_algs.',
        'policy sys/policies/acl/nomad-workloads does not exist.',
        'role auth/jwt-nomad/role/nomad-workloads does not exist.'
      ])
    )
  })
})

describe('nomad findings from the upgrade check', () => {
  const self = { ok: false as const, reason: 'no agent:read' }
  const expected = { authPath: 'jwt-nomad', role: 'r', audience: 'vault.io', vaultAddr: 'http://v' }

  it('turns each list of api.VaultWorkloadIdentityUpgradeCheck into a finding', () => {
    const f = nomadFindings({
      expected,
      self,
      upgrade: {
        ok: true,
        value: {
          JobsWithoutVaultIdentity: [{ ID: 'old', Namespace: 'prod' }],
          OutdatedNodes: [{ ID: 'n1', Name: 'edge-1', Version: '1.6.9' }],
          VaultTokens: [{ AllocID: '0123456789', Task: 'app', CreationTTL: 3600 }]
        }
      },
      jobs: { ok: true, value: [] }
    })
    const up = f.filter((x) => x.check === 'upgrade-check')
    expect(up.map((x) => x.severity)).toEqual(['error', 'error', 'warning'])
    expect(up[0].message).toContain('prod/old')
    expect(up[1].message).toContain('edge-1 (1.6.9)')
    expect(up[2].message).toContain('01234567/app')
    expect(f.find((x) => x.check === 'agent-vault')?.severity).toBe('warning')
  })

  it('a 404 (Nomad before 1.7) is an info, a 403 a warning naming operator:read', () => {
    const nf = (status: number) =>
      nomadFindings({ expected, self, upgrade: { ok: false, status, reason: 'x' }, jobs: { ok: true, value: [] } }).find(
        (x) => x.check === 'upgrade-check'
      )!
    expect(nf(404).severity).toBe('info')
    expect(nf(403)).toMatchObject({ severity: 'warning', fix: expect.stringContaining('operator:read') })
  })
})

describe('verdict and reporting', () => {
  const f: Finding[] = [
    { severity: 'info', check: 'a', message: 'm1', fix: '' },
    { severity: 'warning', check: 'b', message: 'm|2', fix: 'f2' },
    { severity: 'error', check: 'c', message: 'm3', fix: 'f3', evidence: { x: 1 } }
  ]
  it('errors fail; warnings fail only with fail-on-warning', () => {
    expect(checkVerdict(f, false)).toContain('1 error(s) and 1 warning(s)')
    expect(checkVerdict(f.slice(0, 2), false)).toBeUndefined()
    expect(checkVerdict(f.slice(0, 2), true)).toContain('fail-on-warning')
  })
  it('sorts errors first and renders the output and the summary', () => {
    expect(sortFindings(f).map((x) => x.check)).toEqual(['c', 'b', 'a'])
    expect(JSON.parse(findingsOutput(f))[2]).toEqual({ severity: 'error', check: 'c', message: 'm3', fix: 'f3', evidence: { x: 1 } })
    const md = findingsSummary(f, { vaultAddr: 'http://v', nomadAddr: '' })
    expect(md).toContain('**1 error(s), 1 warning(s), 1 info(s)**')
    expect(md).toContain('m\\|2')
  })
})
