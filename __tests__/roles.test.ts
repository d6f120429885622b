/** The roles input: parsing and validation, the desired state and plan for several roles, and the per-job role. */
import { afterEach, beforeEach, describe, expect, it, jest } from '@jest/globals'
import type { BoundClaims } from '../src/config.js'
import { parseInputs } from '../src/inputs/read-inputs.js'
import { renderClientBlock } from '../src/nomad/agent-config.js'
import { injectVault } from '../src/nomad/inject.js'
import { jobRole } from '../src/nomad/job-role.js'
import { POLICY_MARKER, desiredState } from '../src/vault/desired.js'
import { roleForNamespace, roleNamespaces } from '../src/role-choice.js'
import { planUndeclared, planVault, writeOrder, type CurrentState } from '../src/vault/plan-vault.js'
import { testConfig, testRole, testSettings } from '../test-support/config-fixture.js'
import { inputProblems, inputReader } from '../test-support/input-reader.js'

const base = {
  'vault-addr': 'https://vault.example.com:8200',
  'vault-token': 'hvs.supersecretvaulttoken',
  'nomad-addr': 'https://nomad.example.com:4646'
}
const reader = inputReader(base)
const problemsOf = (over: Record<string, string>) => inputProblems(reader(over))

const TWO = `
- name: web-prod
  namespace: prod
  kv-mount: kv-prod
- name: web-staging
  namespace: [staging, qa]
  policy: staging-reader
  token-period: 1h
`

beforeEach(() => {
  jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
})
afterEach(() => {
  jest.restoreAllMocks()
})

describe('roles input', () => {
  it('parses each role with its own claims, policy, token settings and kv mount, into the one roles list', () => {
    const cfg = parseInputs(reader({ roles: TWO, 'token-period': '20m' }))
    expect(cfg.settings.roles).toEqual([
      {
        name: 'web-prod',
        policy: 'web-prod',
        kvMount: 'kv-prod',
        boundClaims: { nomad_namespace: 'prod' },
        tokenType: 'service',
        tokenPeriodSeconds: 1200
      },
      {
        name: 'web-staging',
        policy: 'staging-reader',
        kvMount: 'secret',
        boundClaims: { nomad_namespace: ['staging', 'qa'] },
        tokenType: 'service',
        tokenPeriodSeconds: 3600
      }
    ])
    expect(cfg.settings).toMatchObject({ rolesInput: true, prune: false })
    // Below the parser there is only the list: no single-role fields beside it.
    expect(Object.keys(cfg.settings).filter((k) => ['role', 'policy', 'kvMount', 'boundClaims', 'tokenType', 'policyText'].includes(k))).toEqual([])
    expect(parseInputs(reader({ roles: TWO, prune: 'true' })).settings.prune).toBe(true)
  })

  it('the single-role inputs are the shorthand for a list of one role', () => {
    const cfg = parseInputs(reader({ role: 'app', 'bound-claims': '{"nomad_namespace":"prod"}' }))
    expect(cfg.settings.rolesInput).toBe(false)
    expect(cfg.settings.roles).toEqual([
      {
        name: 'app',
        policy: 'nomad-workloads',
        kvMount: 'secret',
        boundClaims: { nomad_namespace: 'prod' },
        tokenType: 'service',
        tokenPeriodSeconds: 1800
      }
    ])
    expect(desiredState(cfg.settings).roles.map((r) => r.name)).toEqual(['app'])
  })

  it('giving roles and a single-role input is an error that says which to drop; the defaults are not a conflict', () => {
    expect(problemsOf({ roles: TWO, role: 'app' })).toEqual([expect.stringMatching(/Inputs "roles" and "role" conflict.*Drop "role"/)])
    expect(problemsOf({ roles: TWO, 'bound-claims': 'a: b' })).toEqual([expect.stringMatching(/Drop "bound-claims"/)])
    expect(() => parseInputs(reader({ roles: TWO, role: 'nomad-workloads', policy: 'nomad-workloads' }))).not.toThrow()
  })

  it('validates every role before the first request, naming the role and the key', () => {
    const problems = problemsOf({
      roles: `
- name: ok
  namespace: prod
- name: "bad name"
  policy: Upper
  token-type: batch
  token-period: 10m
  colour: red
- name: other
  namespace: prod
- name: ok
`
    })
    expect(problems).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/role "bad name": unknown key\(s\) "colour"/),
        expect.stringMatching(/role "bad name": is not a valid Vault role name/),
        expect.stringMatching(/role "bad name": "policy": "Upper" has upper-case letters/),
        expect.stringMatching(/role "bad name": "token-type: batch" cannot be periodic/),
        expect.stringMatching(/role "ok" is declared twice/),
        expect.stringMatching(/namespace "prod" is bound by roles "ok" and "other"/)
      ])
    )
    expect(problemsOf({ roles: 'name: x' })).toEqual([expect.stringMatching(/must be a non-empty YAML list/)])
    expect(problemsOf({ roles: '- namespace: prod' })).toEqual([expect.stringMatching(/entry 1: "name" is required/)])
    expect(problemsOf({ roles: '- name: a\n  policy: p\n- name: b\n  policy: p\n  kv-mount: other' })).toEqual([
      expect.stringMatching(/roles "a" and "b" share policy "p" but give it different text/)
    ])
    expect(problemsOf({ roles: '- name: a\n  namespace: prod\n  bound-claims: {nomad_namespace: dev}' })).toEqual([
      expect.stringMatching(/"namespace" and "bound-claims.nomad_namespace" say the same thing twice/)
    ])
  })
})

describe('roles: names', () => {
  it('takes a name YAML would read as a number as the text written, as Vault does ("123", "0123", "1.10")', () => {
    const cfg = parseInputs(reader({ roles: '- name: 123\n- name: 0123\n  namespace: a\n- name: 1.10\n  namespace: b\n  token-period: 0' }))
    expect(cfg.settings.roles?.map((r) => [r.name, r.policy, r.tokenPeriodSeconds])).toEqual([
      ['123', '123', 1800],
      ['0123', '0123', 1800],
      ['1.10', '1.10', 0]
    ])
  })

  it('refuses a name that is not text with a clear message, and nameless entries without a "declared twice"', () => {
    expect(problemsOf({ roles: '- name: [web]' })).toEqual([
      'Input "roles", role entry 1: "name" must be a role name (text such as web-prod), got ["web"].'
    ])
    expect(problemsOf({ roles: '- namespace: a\n- namespace: b' })).toEqual([
      'Input "roles", role entry 1: "name" is required.',
      'Input "roles", role entry 2: "name" is required.'
    ])
  })

  it('refuses upper-case names, which Vault would store lower-cased', () => {
    expect(problemsOf({ role: 'WebProd' })).toEqual([
      expect.stringMatching(/^Input "role" is not a usable Vault role name: "WebProd" has upper-case/)
    ])
    expect(problemsOf({ roles: '- name: WebProd\n  policy: web' })).toEqual([
      expect.stringMatching(/^Input "roles", role "WebProd": is not a usable Vault role name: .*Use "webprod"\.$/)
    ])
  })
})

const roles2 = testSettings({
  roles: [
    {
      name: 'web-prod',
      policy: 'web-prod',
      kvMount: 'kv-prod',
      boundClaims: { nomad_namespace: 'prod' },
      tokenType: 'service',
      tokenPeriodSeconds: 1800
    },
    { name: 'catch-all', policy: 'shared', kvMount: 'secret', boundClaims: {}, tokenType: 'batch', tokenPeriodSeconds: 0 },
    {
      name: 'web-dev',
      policy: 'shared',
      kvMount: 'secret',
      boundClaims: { nomad_namespace: ['dev', 'qa'] },
      tokenType: 'service',
      tokenPeriodSeconds: 60
    }
  ]
})

describe('desired state and plan with several roles', () => {
  it('one role write per role, each policy once, default_role = the first role without a namespace binding', () => {
    const d = desiredState(roles2)
    expect(d.roles.map((r) => [r.path, r.role.token_policies, r.role.bound_claims, r.role.token_type, r.role.token_period])).toEqual([
      ['auth/jwt-nomad/role/web-prod', ['web-prod'], { nomad_namespace: 'prod' }, 'service', 1800],
      ['auth/jwt-nomad/role/catch-all', ['shared'], undefined, 'batch', 0],
      ['auth/jwt-nomad/role/web-dev', ['shared'], { nomad_namespace: ['dev', 'qa'] }, 'service', 60]
    ])
    expect(d.policies.map((p) => p.path)).toEqual(['sys/policies/acl/web-prod', 'sys/policies/acl/shared'])
    expect(d.policies[0].text('acc')).toContain('path "kv-prod/data/')
    expect(d.authConfig.default_role).toBe('catch-all')
    const empty: CurrentState = { mount: null, authConfig: null, roles: {}, policies: {} }
    expect(planVault(empty, d).map((c) => `${c.action} ${c.path}`)).toEqual([
      'create sys/auth/jwt-nomad',
      'create auth/jwt-nomad/config',
      'create sys/policies/acl/web-prod',
      'create sys/policies/acl/shared',
      'create auth/jwt-nomad/role/web-prod',
      'create auth/jwt-nomad/role/catch-all',
      'create auth/jwt-nomad/role/web-dev'
    ])
  })

  it('plans per role: only the role that drifted is updated; undeclared managed roles are reported and deleted only with prune', () => {
    const d = desiredState(roles2)
    const readBack = (name: string) => {
      const r = d.roles.find((x) => x.name === name)!.role
      return { ...r, bound_claims: r.bound_claims ?? null, token_policies: [...r.token_policies] }
    }
    const current: CurrentState = {
      mount: { type: 'jwt', accessor: 'acc', description: 'Nomad workload identity (managed by nomad-vault-action)' },
      authConfig: { ...d.authConfig },
      roles: { 'web-prod': readBack('web-prod'), 'catch-all': readBack('catch-all'), 'web-dev': { ...readBack('web-dev'), token_period: 30 } },
      policies: { 'web-prod': d.policies[0].text('acc'), shared: d.policies[1].text('acc') },
      undeclared: {
        roles: { old: { bound_claims: { nomad_namespace: 'old' }, token_policies: ['old'] } },
        policies: { old: `${POLICY_MARKER}\npath "x" {}` }
      }
    }
    expect(planVault(current, d)).toEqual([
      { resource: 'role', action: 'update', path: 'auth/jwt-nomad/role/web-dev', diff: [{ field: 'token_period', before: 30, after: 60 }] }
    ])
    const undeclared = planUndeclared(current, d)
    expect(undeclared.map((c) => `${c.action} ${c.path}`)).toEqual(['delete auth/jwt-nomad/role/old', 'delete sys/policies/acl/old'])
    const pruned = desiredState({ ...roles2, prune: true })
    const planned = planVault(current, pruned)
    expect(writeOrder(planned, current).map((c) => `${c.action} ${c.path}`)).toEqual([
      'update auth/jwt-nomad/role/web-dev',
      'delete auth/jwt-nomad/role/old',
      'delete sys/policies/acl/old'
    ])
  })

  it('a policy no current role uses is written before the roles, a live one after them', () => {
    const d = desiredState(roles2)
    const current: CurrentState = {
      mount: { type: 'jwt', accessor: 'acc' },
      authConfig: { ...d.authConfig },
      roles: { 'web-prod': null, 'catch-all': { token_policies: ['shared'] }, 'web-dev': null },
      policies: { 'web-prod': null, shared: 'old text' }
    }
    expect(writeOrder(planVault(current, d), current).map((c) => `${c.action} ${c.path}`)).toEqual([
      'create sys/policies/acl/web-prod',
      'create auth/jwt-nomad/role/web-prod',
      'update auth/jwt-nomad/role/catch-all',
      'create auth/jwt-nomad/role/web-dev',
      'update sys/policies/acl/shared'
    ])
  })
})

describe('the role of each job', () => {
  const choices: { name: string; boundClaims: BoundClaims }[] = [
    { name: 'web-prod', boundClaims: { nomad_namespace: 'prod' } },
    { name: 'any', boundClaims: {} },
    { name: 'dev', boundClaims: { nomad_namespace: ['dev'] } }
  ]
  it('picks the role bound to the namespace, else the first role without a binding', () => {
    expect(roleForNamespace(choices, 'prod')?.name).toBe('web-prod')
    expect(roleForNamespace(choices, 'dev')?.name).toBe('dev')
    expect(roleForNamespace(choices, 'other')?.name).toBe('any')
    expect(roleForNamespace([choices[0]], 'other')).toBeUndefined()
    expect(roleNamespaces({ boundClaims: { nomad_namespace: 'prod' } })).toEqual(['prod'])
  })

  it('jobRole: the job gets its role, policy and claims; an unserved namespace is an error only when injecting', () => {
    const vault = {
      roles: [
        { ...testRole('a', 'prod'), policy: 'a' },
        { ...testRole('b', 'dev'), policy: 'pb' }
      ]
    }
    expect(jobRole(vault, 'dev', 'web', true)).toMatchObject({ name: 'b', policy: 'pb', boundClaims: { nomad_namespace: 'dev' } })
    expect(() => jobRole(vault, 'qa', 'web', true)).toThrow(
      /Job "web" is in Nomad namespace "qa", and no role of the roles input serves it: a \(prod\); b \(dev\)/
    )
    expect(jobRole(vault, 'qa', 'web', false)).toBe(vault.roles[0])
  })

  it('inject-vault missing also fills a vault block without a role when there are several roles', () => {
    const job = { TaskGroups: [{ Name: 'g', Tasks: [{ Name: 'a', Vault: { Role: '' } }, { Name: 'b', Vault: { Role: 'mine' } }, { Name: 'c' }] }] }
    const r = injectVault(job, 'missing', 'web-prod', { fillEmptyRole: true })
    expect(r.job.TaskGroups![0].Tasks!.map((t) => t.Vault?.Role)).toEqual(['web-prod', 'mine', 'web-prod'])
    expect(injectVault(job, 'missing', 'web-prod').injectedTasks).toEqual(['g/c'])
  })

  it('the client block names the default role and lists the roles per namespace', () => {
    const block = renderClientBlock(testConfig({ settings: roles2 }))
    expect(block).toContain('create_from_role      = "catch-all"')
    expect(block).toContain('#   web-prod: prod')
    expect(block).toContain('#   web-dev: dev, qa')
    expect(block).toContain('#   catch-all: any other namespace')
  })
})
