/**
 * The roles input end to end: dist/index.js with two roles bound to two Nomad namespaces, against a real OpenBao and
 * the Nomad test double. Each job gets the role of its namespace (inject-vault), its task logs in with it and reads
 * its own secret; with the same workload identity it cannot read the other namespace's secret nor use the other role.
 */
import { describe, expect, it } from '@jest/globals'
import { e2eSuite } from '../test-support/e2e-suite.js'
import { runAction } from '../test-support/run-action.js'

const FIX = '__tests__/fixtures/jobs'
const ROLES = `
- name: ns-prod
  namespace: prod
- name: ns-dev
  namespace: dev
  policy: ns-dev-reader
  token-period: 1h
`

const e2e = e2eSuite({
  secrets: { 'prod/api/config': { password: 'prod-password' }, 'dev/worker/config': { password: 'dev-password' } },
  authPath: 'jwt-roles',
  role: 'ns-prod'
})

/** Logs in with a workload's own identity and role; the statuses of the login and of reading each secret. */
async function asWorkload(jwt: string, role: string): Promise<{ login: number; prod?: number; dev?: number }> {
  const res = await fetch(`${e2e.bao.addr}/v1/auth/jwt-roles/login`, { method: 'POST', body: JSON.stringify({ role, jwt }) })
  const token = ((await res.json()) as { auth?: { client_token?: string } }).auth?.client_token
  if (!token) return { login: res.status }
  const read = async (p: string) => {
    const r = await fetch(`${e2e.bao.addr}/v1/${p}`, { headers: { 'X-Vault-Token': token } })
    await r.text()
    return r.status
  }
  return { login: res.status, prod: await read('secret/data/prod/api/config'), dev: await read('secret/data/dev/worker/config') }
}

describe('roles: one role per Nomad namespace', () => {
  it('each job gets the role of its namespace, logs in with it and reads only its own secret', async () => {
    const n = await e2e.cluster({ namespaces: ['default', 'prod', 'dev'] })
    const r = await runAction({
      ...e2e.inputs(n),
      'auth-path': 'jwt-roles',
      roles: ROLES,
      job: `${FIX}/roles-prod.nomad.hcl\n${FIX}/roles-dev.nomad.hcl`,
      'inject-vault': 'missing'
    })
    expect(r.code).toBe(0)
    expect(JSON.parse(r.outputs.verdict)).toEqual({ api: 'healthy', worker: 'healthy' })
    expect(JSON.parse(r.outputs['job-role'])).toEqual({ api: 'ns-prod', worker: 'ns-dev' })
    expect(JSON.parse(r.outputs.changes).map((c: { action: string; path: string }) => `${c.action} ${c.path}`)).toEqual([
      'create sys/auth/jwt-roles',
      'create auth/jwt-roles/config',
      'create auth/jwt-roles/role/ns-prod',
      'create auth/jwt-roles/role/ns-dev',
      'create sys/policies/acl/ns-prod',
      'create sys/policies/acl/ns-dev-reader'
    ])
    expect(r.outputs['nomad-client-config']).toContain('create_from_role      = "ns-prod"')
    expect(r.outputs['nomad-client-config']).toContain('#   ns-dev: dev')
    expect(r.summary).toMatch(/Vault role: `ns-dev`/)

    // The tasks logged in with their own role and read their own secret through the real OpenBao.
    expect(n.vaultLogins.map((l) => [l.role, l.ok])).toEqual(
      expect.arrayContaining([
        ['ns-prod', true],
        ['ns-dev', true]
      ])
    )
    expect(n.secretReads.map((s) => `${s.namespace}/${s.jobId} ${s.path}`).sort()).toEqual([
      'dev/worker secret/data/dev/worker/config',
      'prod/api secret/data/prod/api/config'
    ])
    expect(n.getJob('api', 'prod')?.TaskGroups[0].Tasks[0].Vault?.Role).toBe('ns-prod')
    expect(n.getJob('worker', 'dev')?.TaskGroups[0].Tasks[0].Vault?.Role).toBe('ns-dev')

    // With the same workload identities: the other namespace's secret is denied, and so is the other role.
    const prodJwt = n.vaultLogins.find((l) => l.role === 'ns-prod')!.jwt
    const devJwt = n.vaultLogins.find((l) => l.role === 'ns-dev')!.jwt
    expect(await asWorkload(prodJwt, 'ns-prod')).toEqual({ login: 200, prod: 200, dev: 403 })
    expect(await asWorkload(devJwt, 'ns-dev')).toEqual({ login: 200, prod: 403, dev: 200 })
    expect((await asWorkload(devJwt, 'ns-prod')).login).toBe(400)

    // A second run changes nothing.
    const again = await runAction({
      'vault-addr': e2e.bao.addr,
      'vault-token': e2e.bao.rootToken,
      'nomad-addr': n.url,
      'auth-path': 'jwt-roles',
      roles: ROLES,
      mode: 'setup'
    })
    expect(again.code).toBe(0)
    expect(JSON.parse(again.outputs.changes)).toEqual([])
  }, 120_000)

  it('giving roles with a single-role input fails before any request, naming the input to drop', async () => {
    const r = await runAction({
      'vault-addr': e2e.bao.addr,
      'vault-token': e2e.bao.rootToken,
      'nomad-addr': 'http://127.0.0.1:1',
      roles: ROLES,
      'bound-claims': 'a: b'
    })
    expect(r.code).toBe(1)
    expect(r.stdout).toContain('Inputs "roles" and "bound-claims" conflict')
    expect(r.stdout).toContain('Drop "bound-claims"')
  }, 60_000)

  it('expected-plan: after the first run, a dry-run of two jobs with two roles gives a plan-id that the apply (max-parallel 2) registers exactly', async () => {
    const n = await e2e.cluster({ namespaces: ['default', 'prod', 'dev'] })
    const inputs = {
      ...e2e.inputs(n),
      'auth-path': 'jwt-roles',
      roles: ROLES,
      job: `${FIX}/roles-prod.nomad.hcl\n${FIX}/roles-dev.nomad.hcl`,
      'inject-vault': 'missing',
      'max-parallel': '2'
    }
    const plan = await runAction({ ...inputs, 'dry-run': 'true' })
    expect(plan.code).toBe(0)
    expect(plan.outputs['plan-id']).toMatch(/^np1-[0-9a-f]{16}-t[0-9a-f]{6}-v[0-9a-f]{8}-j[0-9a-f]{8}-j[0-9a-f]{8}$/)
    const r = await runAction({ ...inputs, 'expected-plan': plan.outputs['plan-id'] })
    expect(r.code).toBe(0)
    expect(r.outputs['plan-id']).toBe(plan.outputs['plan-id'])
    expect(JSON.parse(r.outputs.verdict)).toEqual({ api: 'healthy', worker: 'healthy' })
    const registers = n.requests.filter((q) => q.method !== 'GET' && q.path === '/v1/jobs').map((q) => JSON.parse(q.body ?? '{}'))
    expect(registers).toHaveLength(2)
    for (const body of registers) expect(body).toMatchObject({ EnforceIndex: true, JobModifyIndex: 0 })
  })
})
